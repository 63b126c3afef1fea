"""Admin pages: the accounts of the admin's chapter and the chapters below it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from donor_registry.accounts import users
from donor_registry.accounts.chapters import names
from donor_registry.accounts.models import Role, User
from donor_registry.accounts.policy import Action, may_manage
from donor_registry.api.deps import SessionDep
from donor_registry.audit import service as audit
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.web.deps import Current, NotFoundHere, require, speak
from donor_registry.web.templating import render
from donor_registry.web.views import ROLE_LABELS

router = APIRouter(prefix="/admin", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Admin = Annotated[Current, Depends(require(Action.manage_users))]
Text = Annotated[str, Form(max_length=1000)]
AUDIT_PAGE = 50


def _roles():
    return [(role.value, _(ROLE_LABELS[role])) for role in Role]


def _chapters(current: Current) -> list[int | None]:
    """The chapters an admin may give an account: its own reach (None: the whole registry)."""
    reach = current.actor.reach
    return [None] if reach is None else sorted(reach)


def _listing(request: Request, session: Session, current: Current, *, status_code=200, errors=None, form=None):
    reach = current.actor.reach
    listed = users.list_users(session=session, chapter_ids=None if reach is None else set(reach))
    chapter_names = names(session=session, chapter_ids=[u.chapter_id for u in listed] + _chapters(current))
    return render(request, "admin/users.html", status_code=status_code, users=listed, roles=_roles(),
                  chapter_names=chapter_names,
                  role_labels={r.value: _(label) for r, label in ROLE_LABELS.items()},
                  chapters=_chapters(current), errors=errors or {}, form=form or {})


@router.get("/users")
def users_page(request: Request, session: SessionDep, current: Admin) -> Response:
    return _listing(request, session, current)


@router.post("/users")
def add_user(request: Request, session: SessionDep, current: Admin, login: Text = "", role: Text = "",
             chapter: Text = "", password: Text = "") -> Response:
    form = {"login": login, "role": role, "chapter": chapter}
    minimum = request.app.state.settings.accounts.min_password_length
    errors, parsed = {}, {}
    chapter_id = int(chapter) if chapter.strip().isdigit() else None
    if not may_manage(current.actor, chapter_id):
        errors["chapter"] = _("Choose a chapter within yours.")
    for field, check in (("role", lambda: users.parse_role(role)), ("login", lambda: users.normalise_login(login)),
                         ("password", lambda: users.check_password(password, login=login, min_length=minimum))):
        try:
            parsed[field] = check()
        except UserError as problem:
            errors[field] = str(problem)
    if not errors:
        try:
            users.add_user(session=session, now=current.now, actor=current.actor.audit_name, login=login,
                           password=password, role=parsed["role"], chapter_id=chapter_id,
                           min_password_length=minimum)
        except UserError as problem:  # the name is taken
            errors["login"] = str(problem)
    if errors:
        return _listing(request, session, current, status_code=422, errors=errors, form=form)
    return RedirectResponse("/admin/users", status_code=303)


def _managed(session: Session, current: Current, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not may_manage(current.actor, user.chapter_id):
        raise NotFoundHere()
    return user


@router.get("/users/{user_id}")
def user_page(request: Request, session: SessionDep, current: Admin, user_id: int) -> Response:
    user = _managed(session, current, user_id)
    return render(request, "admin/user.html", user=user, role=_(ROLE_LABELS[user.role]), errors={},
                  chapter_names=names(session=session, chapter_ids=[user.chapter_id]))


@router.post("/users/{user_id}/disable")
def disable(session: SessionDep, current: Admin, user_id: int) -> Response:
    return _set_disabled(session, current, user_id, True)


@router.post("/users/{user_id}/enable")
def enable(session: SessionDep, current: Admin, user_id: int) -> Response:
    return _set_disabled(session, current, user_id, False)


def _set_disabled(session: Session, current: Current, user_id: int, disabled: bool) -> Response:
    user = _managed(session, current, user_id)
    if user.id != current.actor.user_id:  # an admin never locks itself out
        users.set_disabled(session=session, now=current.now, actor=current.actor.audit_name, user=user,
                           disabled=disabled)
    return RedirectResponse(f"/admin/users/{user.id}", status_code=303)


@router.post("/users/{user_id}/password")
def reset_password(request: Request, session: SessionDep, current: Admin, user_id: int,
                   password: Text = "") -> Response:
    user = _managed(session, current, user_id)
    try:
        users.reset_password(session=session, now=current.now, actor=current.actor.audit_name, user=user,
                             password=password,
                             min_password_length=request.app.state.settings.accounts.min_password_length)
    except UserError as problem:
        return render(request, "admin/user.html", status_code=422, user=user, role=_(ROLE_LABELS[user.role]),
                      errors={"password": str(problem)},
                      chapter_names=names(session=session, chapter_ids=[user.chapter_id]))
    return render(request, "admin/user.html", user=user, role=_(ROLE_LABELS[user.role]), errors={}, reset=True,
                  chapter_names=names(session=session, chapter_ids=[user.chapter_id]))


@router.get("/audit")
def audit_page(request: Request, session: SessionDep,
               current: Annotated[Current, Depends(require(Action.read_audit))],
               donor: Annotated[str, Query(max_length=20)] = "", action: Annotated[str, Query(max_length=60)] = "",
               actor: Annotated[str, Query(max_length=100)] = "", before: int | None = None) -> Response:
    """The audit trail of the admin's chapter and below, newest first, 50 a page, with filters."""
    donor_id = int(donor.strip().lstrip("#")) if donor.strip().lstrip("#").isdigit() else None
    entries = audit.page(session=session, reach=current.actor.reach, donor_id=donor_id, action=action.strip(),
                         actor=actor.strip(), before=before, limit=AUDIT_PAGE + 1)
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    filters = {"donor": donor, "action": action, "actor": actor}
    return render(request, "admin/audit.html", entries=entries, filters=filters,
                  bad_donor=bool(donor.strip()) and donor_id is None,
                  next_before=entries[-1].id if more else None)
