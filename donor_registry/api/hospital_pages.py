"""Hospital web pages: sign in with the API token, file a request, watch its live status.

The token pasted into the sign-in form is kept in an HttpOnly, SameSite=Strict cookie limited
to /h, and checked on every page, so revoking a token signs the hospital out at once; the
strict cookie is not sent with cross-site form posts, which keeps other sites from filing or
cancelling requests in the hospital's name.
"""

import datetime as dt
from html import escape
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Cookie, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from donor_registry.api.deps import SessionDep, SettingsDep
from donor_registry.api.emergency import now_of
from donor_registry.api.guards import short_message
from donor_registry.api.html import local_time, page
from donor_registry.api.pages import PRODUCTS_VI
from donor_registry.emergency import service
from donor_registry.emergency.compatibility import ALL_GROUPS
from donor_registry.emergency.hospitals import authenticate
from donor_registry.emergency.limits import MAX_ID
from donor_registry.emergency.models import Hospital, RequestStatus
from donor_registry.errors import NotFound, UserError
from donor_registry.types import blood_group_label

router = APIRouter(prefix="/h", tags=["hospital pages"], include_in_schema=False)

COOKIE = "dr_hospital"
GROUPS = sorted(blood_group_label(*g) for g in ALL_GROUPS)
STATUS_VI = {"open": "Đang gọi người hiến", "covered": "Đã đủ người", "cancelled": "Đã hủy",
             "expired": "Đã hết hạn"}
TokenCookie = Annotated[str | None, Cookie(alias=COOKIE)]
RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]  # outside it: 404 (api/guards.py)


def _signed_in(session, token: str | None) -> Hospital | None:
    return authenticate(session=session, token=token)


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _sign_in_page(error: str | None = None, status_code: int = 200) -> HTMLResponse:
    note = f'<p class="error">{escape(error)}</p>' if error else ""
    return page("Đăng nhập bệnh viện", f"""
<h1>Bệnh viện đăng nhập</h1>
<form method="post" action="/h/login" class="card">{note}
  <label for="token">Mã truy cập của bệnh viện</label>
  <input id="token" name="token" type="password" autocomplete="off" required>
  <button type="submit">Đăng nhập</button>
</form>
<p class="muted">Mã truy cập do Hội Chữ thập đỏ cấp (bắt đầu bằng hsp_).</p>""", status_code=status_code)


@router.get("", response_class=HTMLResponse)
def home(http: Request, session: SessionDep, settings: SettingsDep, token: TokenCookie = None) -> HTMLResponse:
    """Sign-in form, or the hospital's requests."""
    hospital = _signed_in(session, token)
    if hospital is None:
        return _sign_in_page()
    rows = "".join(
        f'<tr><td><a href="/h/requests/{r.id}">#{r.id}</a></td><td>{blood_group_label(r.abo, r.rh)}</td>'
        f'<td class="n">{r.units}</td><td>{escape(STATUS_VI[r.status.value])}</td>'
        f"<td>{escape(local_time(r.created_at, settings.general.timezone))}</td></tr>"
        for r in service.list_requests(session=session, hospital_id=hospital.id, limit=30)
    ) or '<tr><td colspan="5">Chưa có yêu cầu nào.</td></tr>'
    service.record_view(session=session, now=now_of(http), actor=f"hospital:{hospital.id}", request_id=None)
    return page(hospital.name, f"""
<h1>{escape(hospital.name)}</h1>
<a class="button" href="/h/new">Yêu cầu máu khẩn cấp</a>
<div class="card"><table><tr><th>Số</th><th>Nhóm</th><th>Đơn vị</th><th>Trạng thái</th><th>Lúc</th></tr>
{rows}</table></div>
<form method="post" action="/h/logout"><button class="secondary">Đăng xuất</button></form>""")


@router.post("/login")
def login(http: Request, session: SessionDep, token: Annotated[str, Form()]):
    """Check the pasted token and keep it in the session cookie."""
    if _signed_in(session, token) is None:
        return _sign_in_page("Mã truy cập không đúng hoặc đã bị thu hồi.", status_code=401)
    response = _to("/h")
    response.set_cookie(COOKIE, token.strip(), max_age=12 * 3600, path="/h", httponly=True,
                        samesite="strict", secure=http.url.scheme == "https")
    return response


@router.post("/logout")
def logout():
    """Forget the token."""
    response = _to("/h")
    response.delete_cookie(COOKIE, path="/h")
    return response


def _request_form(settings, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    groups = "".join(f'<option value="{g}">{g}</option>' for g in GROUPS)
    products = "".join(f'<option value="{k}">{escape(v.capitalize())}</option>' for k, v in PRODUCTS_VI.items())
    note = f'<p class="error">{escape(error)}</p>' if error else ""
    return page("Yêu cầu máu khẩn cấp", f"""
<h1>Yêu cầu máu khẩn cấp</h1>
<form method="post" action="/h/requests" class="card">{note}
  <label for="blood_group">Nhóm máu người bệnh</label>
  <select id="blood_group" name="blood_group" required>{groups}</select>
  <label for="product">Chế phẩm cần</label>
  <select id="product" name="product">{products}</select>
  <label for="units">Số người hiến cần</label>
  <input id="units" name="units" type="number" min="1" max="{settings.emergency.max_units}" value="1" required>
  <label for="needed_by">Cần trước (để trống: trong {settings.emergency.default_needed_within_hours} giờ)</label>
  <input id="needed_by" name="needed_by" type="datetime-local">
  <label for="note">Ghi chú cho Hội</label>
  <textarea id="note" name="note" rows="3" maxlength="500"></textarea>
  <button type="submit">Gửi yêu cầu</button>
</form>
<a class="button secondary" href="/h">Quay lại</a>""", status_code=status_code)


@router.get("/new", response_class=HTMLResponse)
def new_request_form(session: SessionDep, settings: SettingsDep, token: TokenCookie = None):
    """The request form."""
    if _signed_in(session, token) is None:
        return _to("/h")
    return _request_form(settings)


@router.post("/requests")
def file_request(
    http: Request, session: SessionDep, settings: SettingsDep,
    blood_group: Annotated[str, Form()], units: Annotated[int, Form()],
    product: Annotated[str, Form()] = "red_cells", needed_by: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "", token: TokenCookie = None,
):
    """File the request and show its status page."""
    hospital = _signed_in(session, token)
    if hospital is None:
        return _to("/h")
    try:
        data = service.RequestCreate(
            blood_group=blood_group, product=product, units=units, note=note.strip() or None,
            needed_by=_local_datetime(needed_by, settings.general.timezone))
        request = service.create_request(session=session, now=now_of(http), settings=settings,
                                         hospital_id=hospital.id, data=data, actor=f"hospital:{hospital.id}")
    except service.Suspended as exc:
        return _request_form(settings, "Bệnh viện đang bị Hội Chữ thập đỏ tạm ngừng quyền gửi yêu cầu; "
                             f"xin gọi cho Hội. ({exc})", status_code=403)
    except service.RateLimited as exc:
        response = _request_form(settings, f"Đã quá giới hạn yêu cầu; xin thử lại sau. ({exc})", status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except (ValidationError, UserError, ValueError) as exc:
        return _request_form(settings, _plain(exc), status_code=422)
    return _to(f"/h/requests/{request.id}")


def _local_datetime(raw: str, timezone: str) -> dt.datetime | None:
    if not raw.strip():
        return None
    return dt.datetime.fromisoformat(raw.strip()).replace(tzinfo=ZoneInfo(timezone))


def _plain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return short_message(str(exc))


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def status_page(request_id: RequestId, http: Request, session: SessionDep, settings: SettingsDep,
                token: TokenCookie = None):
    """The live status of one request (refreshes itself)."""
    hospital = _signed_in(session, token)
    if hospital is None:
        return _to("/h")
    try:
        request = service.get_request(session=session, request_id=request_id, hospital_id=hospital.id)
    except NotFound:
        return page("Không tìm thấy", "<h1>Không tìm thấy yêu cầu này</h1>", status_code=404)
    service.record_view(session=session, now=now_of(http), actor=f"hospital:{hospital.id}", request_id=request.id)
    view = service.status_view(session=session, request=request)
    tz = settings.general.timezone
    labels = [("asked", "Đã mời"), ("accepted", "Sẽ đến"), ("declined", "Không thể đến"),
              ("no_answer", "Chưa trả lời"), ("arrived", "Đã đến"), ("donated", "Đã hiến")]
    counts = "".join(f'<tr><td>{label}</td><td class="n">{view.counts[key]}</td></tr>' for key, label in labels)
    coming = "".join(
        f"<tr><td>{escape(d['given_name'])}</td><td>{escape(local_time(d['expected_arrival_at'], tz))}</td>"
        f"<td>{'Đã đến' if d['arrived'] else ''}</td></tr>" for d in view.coming
    ) or '<tr><td colspan="3">Chưa có ai nhận lời.</td></tr>'
    is_open = request.status == RequestStatus.open
    cancel = (f'<form method="post" action="/h/requests/{request.id}/cancel">'
              '<button class="secondary">Hủy yêu cầu</button></form>') if is_open else ""
    body = f"""
<h1>Yêu cầu #{request.id}: {blood_group_label(request.abo, request.rh)}, {request.units} người</h1>
<div class="card"><p class="status" id="status">{escape(STATUS_VI[request.status.value])}</p>
<p class="muted">{escape(PRODUCTS_VI[request.product.value].capitalize())} · cần trước
{escape(local_time(request.needed_by, tz))} · đợt gọi {request.wave}</p></div>
<div class="card"><table id="counts">{counts}</table></div>
<div class="card"><h2>Người hiến sẽ đến</h2><table id="coming">
<tr><th>Tên</th><th>Dự kiến đến</th><th></th></tr>{coming}</table></div>
{cancel}<a class="button secondary" href="/h">Tất cả yêu cầu</a>
<p class="muted">Trang tự cập nhật mỗi {settings.emergency.status_refresh_seconds} giây.</p>"""
    return page(f"Yêu cầu #{request.id}", body,
                refresh_seconds=settings.emergency.status_refresh_seconds if is_open else None)


@router.post("/requests/{request_id}/cancel")
def cancel(request_id: RequestId, http: Request, session: SessionDep, settings: SettingsDep, token: TokenCookie = None):
    """Cancel the request; the donors asked are told."""
    hospital = _signed_in(session, token)
    if hospital is None:
        return _to("/h")
    try:
        service.cancel_request(session=session, now=now_of(http), settings=settings, request_id=request_id,
                               actor=f"hospital:{hospital.id}", hospital_id=hospital.id)
    except NotFound:
        return page("Không tìm thấy", "<h1>Không tìm thấy yêu cầu này</h1>", status_code=404)
    except UserError:
        pass  # already closed: the status page says so
    return _to(f"/h/requests/{request_id}")
