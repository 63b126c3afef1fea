"""Who is signed in, and may they use this page: every workspace route depends on `require`."""

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from donor_registry.accounts import sessions
from donor_registry.accounts.chapters import reach
from donor_registry.accounts.policy import NO_CHAPTER, Action, Actor, allows
from donor_registry.api.deps import SessionDep
from donor_registry.api.emergency import now_of
from donor_registry.i18n import set_language

SESSION_COOKIE = "dr_session"


class NotSignedIn(Exception):
    """Answered with a redirect to the sign-in page."""


class Refused(Exception):
    """Signed in, but the role may not do this: 403."""


class NotFoundHere(Exception):
    """Not there, or not within the actor's reach (the two look the same): 404."""


@dataclass(frozen=True)
class Current:
    actor: Actor
    signed: sessions.Signed
    now: dt.datetime

    def may(self, action: Action, chapter_id=NO_CHAPTER) -> bool:
        return allows(self.actor, action, chapter_id)


async def speak(request: Request) -> None:
    """Pages speak the registry's language ([general] language, Vietnamese by default)."""
    set_language(request.app.state.settings.general.language)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def signed_in(request: Request, session: SessionDep) -> Current | None:
    """The visitor's live session (from the cookie), or None."""
    now = now_of(request)
    signed = sessions.resolve(session=session, now=now, token=request.cookies.get(SESSION_COOKIE),
                              settings=request.app.state.settings.accounts)
    if signed is None:
        return None
    user = signed.user
    area = reach(session=session, chapter_id=user.chapter_id)
    actor = Actor(user_id=user.id, login=user.login, role=user.role, chapter_id=user.chapter_id,
                  reach=None if area is None else frozenset(area))
    current = Current(actor=actor, signed=signed, now=now)
    request.state.current = current
    return current


MaybeSignedIn = Annotated[Current | None, Depends(signed_in)]

def require(action: Action):
    """A dependency: the signed-in visitor whose role allows `action` (else sign-in or 403).
    The action is kept on the dependency, so the access test reads it off every route."""

    def dependency(current: MaybeSignedIn) -> Current:
        if current is None:
            raise NotSignedIn()
        if not allows(current.actor, action):
            raise Refused()
        return current

    dependency.action = action
    return dependency


def action_of(route) -> Action | None:
    """The action a route's `require` names (None for a route without one)."""
    for dependant in route.dependant.dependencies:
        action = getattr(dependant.call, "action", None)
        if action is not None:
            return action
    return None
