"""What the workspace's HTTP tests share: the three accounts every test world has, and a client
signed in as one of them (sessions opened directly, the CSRF token read off the dashboard)."""

import re
import warnings

from donor_registry.accounts import sessions
from donor_registry.accounts.models import Role, User
from donor_registry.db import session_scope
from donor_registry.web.deps import SESSION_COOKIE

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$not-a-real-hash-sessions-are-opened-directly"


def add_people(session, now, home: int, other: int) -> dict[str, int]:
    """A coordinator and a viewer of `home`, a coordinator of `other`: login -> user id."""
    people = {}
    for login, role, chapter in (("coordinator", Role.coordinator, home), ("viewer", Role.viewer, home),
                                 ("other", Role.coordinator, other)):
        user = User(login=login, password_hash=HASH, role=role, chapter_id=chapter, created_at=now,
                    updated_at=now, password_changed_at=now)
        session.add(user)
        session.flush()
        people[login] = user.id
    return people


def signed_in(world, who: str):
    """(a client signed in as `who`, its CSRF token); `world` holds app, engine, now, settings, people."""
    client = TestClient(world["app"], follow_redirects=False)
    with session_scope(world["engine"]) as session:
        _, token = sessions.start(session=session, now=world["now"], user=session.get(User, world["people"][who]),
                                  settings=world["settings"].accounts)
    client.cookies.set(SESSION_COOKIE, token)
    csrf = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/").text).group(1)
    return client, csrf
