"""The pre-donation questionnaire over HTTP (/b/{token}/questionnaire): the form in Vietnamese
first, a deferring answer with its date, answers kept only under the health-data consent (a later
answer supersedes, the history stays), the summary at check-in audited as a view of health data,
erasure and the data export; on SQLite and PostgreSQL."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import DriveCreate
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.privacy import consents, subject_data
from donor_registry.privacy.erasure import erase_donor
from donor_registry.privacy.models import DonorConsent, Purpose
from donor_registry.questionnaire.models import QuestionnaireAnswer
from donor_registry.slots import links
from donor_registry.slots import service as slots
from donor_registry.slots.models import DriveLink, SlotBooking
from donor_registry.types import ConsentChannel
from tests.api.workspace_support import add_people, signed_in
from tests.service import emergency_support as make

DAY = dt.date(2026, 6, 5)  # `now` is 10:00 on 1 June 2026 in Vietnam
QUESTIONS = 22  # form 2026-1, for a donor whose sex is not recorded
# Nothing to report: feels well, weighs enough, no to the rest.
FINE = {f"q_{q}": "no" for q in (
    "donated_before", "chronic_illness", "blood_borne", "cured_12m", "surgery_12m", "transfusion_12m",
    "rabies_vaccine_12m", "weight_loss_6m", "dental_acupuncture_6m", "tattoo_piercing_6m", "blood_exposure_6m",
    "recovered_6m", "risk_6m",
    "infection_1m", "vaccine_1m", "epidemic_area_1m", "flu_14d", "medication_7d", "pregnant_nursing",
    "pregnancy_ended_12m")} | {"q_feel_well": "yes", "q_weight": "yes"}


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        vn = chapters.create_chapter(session=session, now=now, kind="national").id
        home = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                       province_code="92").id
        other = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                        province_code="15").id
        people = add_people(session, now, home, other)
        data = DriveCreate(date=DAY, start_time=dt.time(7), end_time=dt.time(11), venue="Nhà văn hóa xã Tân Lập",
                           capacity=4, chapter_id=home)
        drive = add_drive(session=session, settings=settings.campaigns, data=data, now=now, actor="test")[0]
        created = slots.create_slots(session=session, drive=drive, slot_minutes=60, now=now)
        lan, binh = make.donor(session, now, name="Trần Thị Lan"), make.donor(session, now, name="Lê Văn Bình")
        for donor in (lan, binh):
            session.get(Donor, donor).chapter_id = home
        booking = slots.book(session=session, donor_id=lan, slot_id=created[0].id, now=now)
        tokens = {who: links.drive_link(session=session, donor_id=donor, drive_id=drive.id, now=now, base_url="")
                  .removeprefix("/b/") for who, donor in (("lan", lan), ("binh", binh))}
        link_ids = {donor: session.execute(select(DriveLink.id).where(DriveLink.donor_id == donor)).scalar()
                    for donor in (lan, binh)}
        world = {"drive": drive.id, "lan": lan, "binh": binh, "booking": booking.id, "code": booking.check_in_code,
                 "tokens": tokens, "link_ids": link_ids}
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {**world, "app": app, "engine": engine, "settings": settings, "now": now, "people": people}


def _client(world):
    from fastapi.testclient import TestClient

    return TestClient(world["app"], follow_redirects=False)


def _rows(world):
    with session_scope(world["engine"]) as session:
        return [(r.donor_id, r.drive_id, r.booking_id, r.form_version, r.result, r.may_give_from,
                 r.superseded_at is not None) for r in session.execute(
            select(QuestionnaireAnswer).order_by(QuestionnaireAnswer.id)).scalars()]


def _audit(world, action):
    with session_scope(world["engine"]) as session:
        return [(e.actor, e.subject_id, e.detail) for e in session.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars()]


def _health_grants(world, donor):
    with session_scope(world["engine"]) as session:
        return [(g.channel, g.recorded_by) for g in session.execute(select(DonorConsent).where(
            DonorConsent.donor_id == donor, DonorConsent.purpose == Purpose.health_data)).scalars()]


def test_the_drive_page_links_to_the_form_which_speaks_vietnamese_first(world):
    client, token = _client(world), world["tokens"]["lan"]
    drive_page = client.get(f"/b/{token}").text
    assert f'href="/b/{token}/questionnaire"' in drive_page and 'id="questionnaire-link"' in drive_page
    page = client.get(f"/b/{token}/questionnaire")
    assert page.status_code == 200 and "<script" not in page.text
    assert "Hôm nay anh/chị có cảm thấy khỏe mạnh không?" in page.text
    assert page.text.count('type="radio"') == 2 * QUESTIONS
    for field in ("q-feel_well-yes", "q-feel_well-no", "q-tattoo_piercing_6m-yes", "health-consent",
                  "submit-questionnaire"):
        assert f'id="{field}"' in page.text
    english = client.get(f"/b/{token}/questionnaire?lang=en").text
    assert "Do you feel well today?" in english and f'action="/b/{token}/questionnaire?lang=en"' in english


def test_a_deferring_answer_says_kindly_from_when_and_with_consent_is_kept(world):
    client, token, lan = _client(world), world["tokens"]["lan"], world["lan"]
    answer = client.post(f"/b/{token}/questionnaire?lang=en",
                         data={**FINE, "q_tattoo_piercing_6m": "yes", "health_consent": "yes"})
    assert answer.status_code == 200
    result = answer.text[answer.text.index('id="questionnaire-result"'):]
    assert 'data-result="deferred"' in result
    assert "You may give blood from 01/12/2026." in result  # 1 June 2026 + 6 months
    assert 'id="finding-tattoo_piercing_6m"' in answer.text and 'id="questionnaire-stored"' in answer.text
    assert _rows(world) == [(lan, world["drive"], world["booking"], "2026-1", "deferred", dt.date(2026, 12, 1),
                             False)]
    actor = f"drive-link:{world['link_ids'][lan]}"
    assert _health_grants(world, lan) == [(ConsentChannel.web, actor)]
    submitted = _audit(world, "questionnaire.submit")
    assert [(a, s) for a, s, _d in submitted] == [(actor, lan)]
    assert "tattoo" not in str(submitted) and "deferred" not in str(submitted)  # no answer in the audit

    vietnamese = client.post(f"/b/{token}/questionnaire", data={**FINE, "q_medication_7d": "yes"})
    assert "Bạn có thể hiến máu từ 08/06/2026." in vietnamese.text  # consent already given: kept without asking
    again = client.get(f"/b/{token}/questionnaire").text
    assert 'id="health-consent"' not in again and 'id="questionnaire-answered"' in again
    assert re.search(r'id="q-medication_7d-yes"[^>]*checked', again)  # the kept answers, to change
    assert not re.search(r'id="q-tattoo_piercing_6m-yes"[^>]*checked', again)
    assert _rows(world) == [
        (lan, world["drive"], world["booking"], "2026-1", "deferred", dt.date(2026, 12, 1), True),
        (lan, world["drive"], world["booking"], "2026-1", "deferred", dt.date(2026, 6, 8), False),
    ]


def test_without_the_consent_the_result_is_shown_and_nothing_is_kept(world):
    client, token, binh = _client(world), world["tokens"]["binh"], world["binh"]
    answer = client.post(f"/b/{token}/questionnaire?lang=en", data={**FINE, "q_flu_14d": "yes"})
    assert answer.status_code == 200 and "You may give blood from 15/06/2026." in answer.text
    assert 'id="questionnaire-not-stored"' in answer.text
    assert _rows(world) == [] and _health_grants(world, binh) == [] and _audit(world, "questionnaire.submit") == []
    fine = client.post(f"/b/{token}/questionnaire?lang=en", data=FINE)
    assert 'data-result="may_give"' in fine.text and _rows(world) == []


@pytest.mark.parametrize(("changes", "result", "text"), [
    ({"q_feel_well": "no"}, "see_doctor", "Some of your answers need a word with the doctor at the drive."),
    ({"q_weight": "no"}, "deferred", "No date can be given yet"),
    ({"q_blood_borne": "yes"}, "permanent", "the rules for blood donation do not allow you to give blood"),
])
def test_the_other_verdicts_in_kind_words(world, changes, result, text):
    answer = _client(world).post(f"/b/{world['tokens']['binh']}/questionnaire?lang=en", data={**FINE, **changes})
    assert f'data-result="{result}"' in answer.text and text in answer.text


def test_a_missing_answer_shows_the_form_again_and_keeps_nothing(world):
    client, token = _client(world), world["tokens"]["lan"]
    partial = {k: v for k, v in FINE.items() if k != "q_flu_14d"} | {"q_surgery_12m": "yes", "health_consent": "yes"}
    again = client.post(f"/b/{token}/questionnaire?lang=en", data=partial)
    assert again.status_code == 422 and 'id="questionnaire-missing"' in again.text
    assert re.search(r'id="q-surgery_12m-yes"[^>]*checked', again.text)  # the given answers stay
    assert not re.search(r'id="q-flu_14d-(yes|no)"[^>]*checked', again.text)
    assert _rows(world) == [] and _health_grants(world, world["lan"]) == []


def test_staff_see_the_answers_at_check_in_and_the_view_is_audited(world):
    donor = _client(world)
    donor.post(f"/b/{world['tokens']['lan']}/questionnaire?lang=en",
               data={**FINE, "q_medication_7d": "yes", "q_donated_before": "yes", "health_consent": "yes"})
    client, csrf = signed_in(world, "coordinator")
    done = client.post(f"/drives/{world['drive']}/check-in", data={"code": world["code"], "csrftoken": csrf})
    assert done.status_code == 200  # the workspace speaks Vietnamese
    summary = done.text[done.text.index('id="questionnaire-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert "<strong>tạm hoãn</strong> — được hiến từ 08/06/2026" in summary
    assert "Mẫu phiếu 2026-1, trả lời lúc 01/06/2026 10:00." in summary
    assert "Trong 7 ngày gần đây, anh/chị có dùng thuốc kháng sinh" in summary
    assert "Anh/chị đã từng hiến máu chưa?" not in summary  # a yes that defers nothing
    assert "Hôm nay anh/chị có cảm thấy khỏe mạnh không?" not in summary  # a yes that is fine
    viewed = _audit(world, "questionnaire.view")
    assert [(a, s, d["drive_id"], d["health_data"]) for a, s, d in viewed] == [
        ("user:coordinator", world["lan"], world["drive"], True)]


def test_a_donor_without_answers_is_checked_in_with_a_plain_note_and_no_view_audited(world):
    with session_scope(world["engine"]) as session:
        booking = slots.book(session=session, donor_id=world["binh"], slot_id=session.get(
            SlotBooking, world["booking"]).slot_id + 1, now=world["now"])
        code = booking.check_in_code
    client, csrf = signed_in(world, "coordinator")
    done = client.post(f"/drives/{world['drive']}/check-in", data={"code": code, "csrftoken": csrf})
    assert done.status_code == 200 and 'id="questionnaire-summary-none"' in done.text
    assert _audit(world, "questionnaire.view") == []


def test_erasure_scrubs_the_answers_and_the_export_holds_them(world):
    _client(world).post(f"/b/{world['tokens']['lan']}/questionnaire",
                        data={**FINE, "q_vaccine_1m": "yes", "health_consent": "yes"})
    with session_scope(world["engine"]) as session:
        data = subject_data.collect(session=session, donor_id=world["lan"])
    [kept] = data["questionnaires"]
    assert kept["answers"]["vaccine_1m"] is True and kept["answers"]["flu_14d"] is False
    assert (kept["form_version"], kept["result"], kept["may_give_from"]) == ("2026-1", "deferred", "2026-07-01")
    with session_scope(world["engine"]) as session:
        scrubbed = erase_donor(session=session, donor_id=world["lan"], now=world["now"], actor="cli:test")
        assert consents.open_grant(session, world["lan"], Purpose.health_data) is None
    assert scrubbed["questionnaire_answers"] == 1
    with session_scope(world["engine"]) as session:
        [row] = session.execute(select(QuestionnaireAnswer)).scalars()
        assert (row.answers, row.result, row.may_give_from, row.erased_at is not None) == ({}, "[erased]", None, True)


def test_a_submission_crossing_another_keeps_the_first_and_says_so(world, monkeypatch):
    """Two submissions at once: both read no current row; the database's unique partial index
    refuses the second (simulated here by hiding the current row from the second)."""
    client, token, lan = _client(world), world["tokens"]["lan"], world["lan"]
    client.post(f"/b/{token}/questionnaire?lang=en", data={**FINE, "health_consent": "yes"})
    monkeypatch.setattr("donor_registry.questionnaire.service.current_answer", lambda **_kw: None)
    crossed = client.post(f"/b/{token}/questionnaire?lang=en", data={**FINE, "q_flu_14d": "yes"})
    assert crossed.status_code == 409 and "Your answers were sent twice" in crossed.text
    assert _rows(world) == [(lan, world["drive"], world["booking"], "2026-1", "may_give", None, False)]
    assert len(_audit(world, "questionnaire.submit")) == 1
