"""The donor's reply page behind the SMS link: "Tôi sẽ đến" / "Tôi không thể đến".

Opening the page (GET) changes nothing, so a phone's link preview cannot answer for the donor;
only the form (POST) records the answer and uses up the one-time link.
"""

from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from donor_registry.api.deps import SessionDep, SettingsDep
from donor_registry.api.emergency import now_of
from donor_registry.api.html import local_time, message, page
from donor_registry.donors.models import Donor
from donor_registry.emergency.answers import (
    Outcome,
    TokenProblem,
    answer_by_token,
    callout_for_token,
)
from donor_registry.emergency.models import EmergencyRequest, Hospital, RequestStatus
from donor_registry.emergency.notify import given_name
from donor_registry.types import blood_group_label

router = APIRouter(tags=["donor pages"], include_in_schema=False)

ARRIVAL_CHOICES = (30, 60, 90, 120, 180)
PRODUCTS_VI = {"red_cells": "khối hồng cầu", "whole_blood": "máu toàn phần",
               "plasma": "huyết tương", "platelets": "tiểu cầu"}


def _duration(minutes: int) -> str:
    """'30 phút', '1 giờ', '1 giờ 30 phút'."""
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours} giờ"] if hours else []) + ([f"{rest} phút"] if rest else [])
    return " ".join(parts)


def _problem_page(problem: TokenProblem) -> HTMLResponse:
    if problem.kind == "used":
        return message("Bạn đã trả lời rồi", "Liên kết này chỉ dùng được một lần và bạn đã trả lời. "
                       "Cảm ơn bạn! Nếu cần đổi ý, xin gọi cho Hội Chữ thập đỏ.", status_code=410)
    if problem.kind == "expired":
        return message("Liên kết đã hết hạn", "Liên kết trả lời này đã hết hạn. Nếu bạn vẫn có thể "
                       "đến hiến máu, xin gọi cho Hội Chữ thập đỏ. Cảm ơn bạn!", status_code=410)
    return message("Liên kết không hợp lệ", "Không tìm thấy lời mời nào ứng với liên kết này. "
                   "Xin kiểm tra lại tin nhắn.", status_code=404)


def _closed_page(request: EmergencyRequest) -> HTMLResponse:
    if request.status == RequestStatus.covered:
        return message("Đã đủ người hiến máu", "Bệnh viện đã nhận đủ người hiến máu. "
                       "Bạn không cần đến nữa. Cảm ơn tấm lòng của bạn!")
    return message("Yêu cầu đã kết thúc", "Bệnh viện không còn cần thêm người hiến máu cho yêu cầu này. "
                   "Bạn không cần đến. Cảm ơn bạn!")


@router.get("/r/{token}", response_class=HTMLResponse)
def reply_page(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The invitation and the two answers."""
    try:
        callout = callout_for_token(session=session, token=token, now=now_of(http))
    except TokenProblem as problem:
        return _problem_page(problem)
    request = session.get(EmergencyRequest, callout.request_id)
    if request.status != RequestStatus.open:
        return _closed_page(request)
    hospital = session.get(Hospital, request.hospital_id)
    donor = session.get(Donor, callout.donor_id)
    choices = "".join(
        f'<option value="{m}"{" selected" if m == settings.emergency.default_arrival_minutes else ""}>'
        f"{_duration(m)}</option>" for m in ARRIVAL_CHOICES
    )
    body = f"""
<h1>Cần máu gấp</h1>
<div class="card">
  <p>Chào bạn {escape(given_name(donor.full_name))},</p>
  <p><b>{escape(hospital.name)}</b> ({escape(hospital.district)}) cần gấp
  <b>{escape(PRODUCTS_VI.get(request.product.value, request.product.value))}</b> nhóm máu
  <b>{escape(blood_group_label(request.abo, request.rh))}</b>,
  trước {escape(local_time(request.needed_by, settings.general.timezone))}.</p>
  <p>Bạn có thể đến hiến máu không?</p>
</div>
<form method="post" class="card">
  <label for="arrive_in">Tôi có thể đến trong khoảng</label>
  <select id="arrive_in" name="arrive_in">{choices}</select>
  <button type="submit" name="answer" value="accept">Tôi sẽ đến</button>
  <button type="submit" name="answer" value="decline" class="secondary">Tôi không thể đến</button>
</form>
<p class="muted">Mang theo giấy tờ tùy thân (CCCD). Liên kết này chỉ dùng được một lần.</p>"""
    return page("Cần máu gấp", body)


@router.post("/r/{token}", response_class=HTMLResponse)
def reply(
    token: str, http: Request, session: SessionDep, settings: SettingsDep,
    answer: Annotated[str, Form()], arrive_in: Annotated[int | None, Form()] = None,
) -> HTMLResponse:
    """Record the answer once."""
    if answer not in ("accept", "decline"):
        return message("Câu trả lời không hợp lệ", "Xin chọn “Tôi sẽ đến” hoặc “Tôi không thể đến”.",
                       status_code=422)
    minutes = arrive_in if arrive_in in ARRIVAL_CHOICES else None
    try:
        callout, outcome = answer_by_token(session=session, now=now_of(http), settings=settings, token=token,
                                           accept=answer == "accept", arrive_in_minutes=minutes)
    except TokenProblem as problem:
        return _problem_page(problem)
    if outcome == Outcome.too_late:
        return _closed_page(session.get(EmergencyRequest, callout.request_id))
    if answer == "decline":
        return message("Cảm ơn bạn đã trả lời", "Chúng tôi đã ghi nhận bạn không thể đến lần này. "
                       "Cảm ơn bạn!")
    request = session.get(EmergencyRequest, callout.request_id)
    hospital = session.get(Hospital, request.hospital_id)
    arrival = local_time(callout.expected_arrival_at, settings.general.timezone)
    return message("Cảm ơn bạn!", f"{hospital.name} đang chờ bạn vào khoảng {arrival}. "
                   "Xin mang theo giấy tờ tùy thân (CCCD) và báo với khoa truyền máu khi đến.")
