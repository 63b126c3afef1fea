"""Sign in, the dashboard, sign out, change one's password."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from donor_registry.accounts import signin, users
from donor_registry.accounts.chapters import names
from donor_registry.accounts.policy import Action
from donor_registry.api.deps import SessionDep
from donor_registry.api.emergency import now_of
from donor_registry.dashboard import gather
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.i18n import formatting as fmt
from donor_registry.web.dashboard_views import dashboard_view
from donor_registry.web.deps import (
    SESSION_COOKIE,
    Current,
    MaybeSignedIn,
    client_address,
    require,
    speak,
)
from donor_registry.web.templating import render
from donor_registry.web.views import dashboard_cards, role_label

router = APIRouter(tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])

STATIC = Path(__file__).parent / "static"


@router.get("/static/workspace.css")
def stylesheet() -> FileResponse:
    """The workspace's own stylesheet (no CDN, nothing else)."""
    return FileResponse(STATIC / "workspace.css", media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


@router.get("/static/htmx.min.js")
def htmx_script() -> FileResponse:
    """htmx (0BSD, vendored: static/htmx.LICENSE.txt), for the search as you type; no CDN."""
    return FileResponse(STATIC / "htmx.min.js", media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


@router.get("/")
def home(request: Request, session: SessionDep, current: MaybeSignedIn) -> Response:
    """The sign-in form for a visitor, the dashboard of the user's chapter once signed in."""
    if current is None:
        return render(request, "signin.html")
    chapter = names(session=session, chapter_ids=[current.actor.chapter_id]).get(current.actor.chapter_id)
    board = gather(session=session, actor=current.actor, settings=request.app.state.settings,
                   today=fmt.local(current.now).date(), now=current.now, cache=request.app.state.dashboard_cache)
    return render(request, "dashboard.html", cards=dashboard_cards(current), role=role_label(current.actor.role),
                  chapter=chapter, board=dashboard_view(board, current))


@router.post("/login")
def login(request: Request, session: SessionDep, current: MaybeSignedIn,
          login: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=1000)] = "") -> Response:
    settings, now = request.app.state.settings, now_of(request)
    if current is not None:  # a new sign-in never reuses the session already in the browser
        signin.sign_out(session=session, now=now, signed=current.signed)
    result = signin.sign_in(session=session, now=now, login=login, password=password,
                            address=client_address(request), user_agent=request.headers.get("user-agent"),
                            settings=settings.accounts)
    if result.reason == "throttled":
        minutes = -(-result.retry_after_seconds // 60)
        return render(request, "signin.html", status_code=429, login=login,
                      headers={"Retry-After": str(result.retry_after_seconds)},
                      error=_("Too many failed sign-ins. Try again in {n} minutes.").format(n=minutes))
    if not result.ok:
        return render(request, "signin.html", status_code=401, login=login,
                      error=_("The login name or the password is not right."))
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, result.token, max_age=settings.accounts.session_hours * 3600, path="/",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep,
           current: Annotated[Current, Depends(require(Action.view_dashboard))]) -> Response:
    signin.sign_out(session=session, now=current.now, signed=current.signed)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")
    return response


@router.get("/account/password")
def password_form(request: Request,
                  current: Annotated[Current, Depends(require(Action.change_own_password))]) -> Response:
    return render(request, "password.html")


@router.post("/account/password")
def change_password(
    request: Request, session: SessionDep,
    current: Annotated[Current, Depends(require(Action.change_own_password))],
    current_password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
    repeat_password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    errors = {}
    if new_password != repeat_password:
        errors["repeat_password"] = _("The two new passwords are not the same.")
    else:
        try:
            users.change_password(session=session, now=current.now, user=current.signed.user,
                                  current=current_password, new=new_password,
                                  min_password_length=request.app.state.settings.accounts.min_password_length,
                                  keep_session_id=current.signed.session.id)
        except users.WrongPassword as problem:
            errors["current_password"] = str(problem)
        except UserError as problem:
            errors["new_password"] = str(problem)
    if errors:
        return render(request, "password.html", status_code=422, errors=errors)
    return render(request, "password.html", done=True)
