"""The SMS pages over HTTP: the outbox of the chapter's donors with phones masked, retry and cancel
(audited as user:<login>), counts and cost; the template preview (encoding, parts, cost); another
chapter's message not found, a viewer refused."""

import re

import pytest
from sqlmodel import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from tests.api.workspace_support import add_people, signed_in
from tests.support.sms import queue_messages


@pytest.fixture
def world(engine, settings, now):
    ids = queue_messages(engine, now, 2)  # donors +84912000000 and +84912000001
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="92")
        other = add(kind="province", parent_id=vn, province_code="15")
        people = add_people(session, now, home, other)
        for message_id, chapter in zip(ids, (home, other), strict=True):
            session.get(Donor, session.get(OutboxMessage, message_id).donor_id).chapter_id = chapter
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people,
            "home": ids[0], "other": ids[1]}


def _status(world, message_id) -> OutboxStatus:
    with session_scope(world["engine"]) as session:
        return session.get(OutboxMessage, message_id).status


def _audited(world, action) -> list[tuple[str, int]]:
    with session_scope(world["engine"]) as session:
        return [(e.actor, e.subject_id) for e in session.exec(select(AuditEntry).where(AuditEntry.action == action))]


def test_the_outbox_lists_the_chapters_queued_message_with_its_phone_masked(world):
    client, _ = signed_in(world, "coordinator")
    page = client.get("/sms")
    assert page.status_code == 200
    row = re.search(rf'<tr id="message-{world["home"]}".*?</tr>', page.text, re.DOTALL).group(0)
    assert "+84912000000" not in page.text and "0912000000" not in page.text
    assert "000" in row and "lời mời" in row and "đang chờ" in row  # kind and state as words, in Vietnamese
    assert f'id="message-{world["other"]}"' not in page.text  # a donor of another chapter
    assert client.get("/sms?state=failed").text.count('id="message-') == 0
    assert client.get("/sms?state=queued").text.count('id="message-') == 1


def test_cancel_then_retry_change_the_state_and_are_audited(world):
    client, csrf = signed_in(world, "coordinator")
    message = world["home"]
    assert client.post(f"/sms/{message}/cancel", data={"csrftoken": csrf}).status_code == 303
    assert _status(world, message) == OutboxStatus.cancelled
    again = client.post(f"/sms/{message}/cancel", data={"csrftoken": csrf})
    assert again.status_code == 422 and 'id="problem"' in again.text
    assert client.post(f"/sms/{message}/retry", data={"csrftoken": csrf}).status_code == 303
    assert _status(world, message) == OutboxStatus.queued
    assert _audited(world, "sms.cancel") == [("user:coordinator", message)]
    assert _audited(world, "sms.retry") == [("user:coordinator", message)]


def test_another_chapters_coordinator_gets_404_and_a_viewer_cannot_act(world):
    other, csrf = signed_in(world, "other")
    assert other.post(f"/sms/{world['home']}/cancel", data={"csrftoken": csrf}).status_code == 404
    viewer, csrf = signed_in(world, "viewer")
    assert viewer.get("/sms").status_code == 200
    assert 'action="/sms/' not in viewer.get("/sms").text.replace('action="/sms"', "")
    assert viewer.post(f"/sms/{world['home']}/cancel", data={"csrftoken": csrf}).status_code == 403
    assert _status(world, world["home"]) == OutboxStatus.queued
    assert _audited(world, "sms.cancel") == []


def test_the_preview_of_a_vietnamese_text_shows_ucs2_its_parts_and_cost(world):
    viewer, csrf = signed_in(world, "viewer")  # a preview writes nothing: every role may try a text
    text = "Cảm ơn bạn đã hiến máu! " * 3  # 24 characters, none in GSM-7 (ả, ơ, ạ, đ…): 72 UCS-2 units
    page = viewer.post("/sms/templates/preview", data={"csrftoken": csrf, "text": text})
    assert page.status_code == 200
    typed = re.search(r'<dd id="typed-result">(.*?)</dd>', page.text, re.DOTALL).group(1)
    # 72 units > 70 for a single message, so parts of 67: two parts
    sms = world["settings"].sms
    assert "UCS-2" in typed and "72" in typed and "2 phần" in typed
    assert f"{2 * sms.prices.sms_segment_vnd:,}".replace(",", ".") in typed
    stripped = re.search(r'<dd id="stripped-result">(.*?)</dd>', page.text, re.DOTALL).group(1)
    assert "GSM-7" in stripped and "1 phần" in stripped  # "Cam on ban da hien mau! " × 3: 72 septets ≤ 160


def test_the_templates_page_lists_each_configured_template(world):
    client, _ = signed_in(world, "coordinator")
    page = client.get("/sms/templates")
    assert page.status_code == 200
    for kind in world["settings"].sms.templates:
        assert f'id="template-{kind}"' in page.text


def test_queue_reminders_plans_only_the_chapters_donors_once_and_is_audited(world):
    """The thank-you of a donation made yesterday is due: the home coordinator's button queues
    the home donor's and not the other chapter's; pressing again queues nothing new."""
    import datetime as dt

    from donor_registry.donations.models import DonationCreate
    from donor_registry.donations.service import record_donation
    from donor_registry.eligibility import EligibilityRules
    from tests.service import emergency_support as make

    with session_scope(world["engine"]) as session:
        home_chapter = session.get(Donor, session.get(OutboxMessage, world["home"]).donor_id).chapter_id
        other_chapter = session.get(Donor, session.get(OutboxMessage, world["other"]).donor_id).chapter_id
        given = {}
        for key, chapter in (("home", home_chapter), ("other", other_chapter)):
            donor_id = make.donor(session, world["now"], name=f"Lê Thị {key.title()}")
            session.get(Donor, donor_id).chapter_id = chapter
            record_donation(session=session, donor_id=donor_id, rules=EligibilityRules(), now=world["now"],
                            data=DonationCreate(donated_on=world["now"].date() - dt.timedelta(days=1)), actor="test")
            given[key] = donor_id

    def thanked() -> set[int]:
        with session_scope(world["engine"]) as session:
            return {m.donor_id for m in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "thank_you"))}

    client, csrf = signed_in(world, "coordinator")
    assert 'id="plan-reminders"' in client.get("/sms").text
    queued = client.post("/sms/reminders", data={"csrftoken": csrf})
    assert queued.status_code == 303 and queued.headers["location"] == "/sms?planned=1"
    assert thanked() == {given["home"]}
    assert "1 tin mới" in client.get(queued.headers["location"]).text
    again = client.post("/sms/reminders", data={"csrftoken": csrf})
    assert again.headers["location"] == "/sms?planned=0" and thanked() == {given["home"]}
    assert [actor for actor, _ in _audited(world, "sms.plan")] == ["user:coordinator"] * 2
    viewer, viewer_csrf = signed_in(world, "viewer")
    assert 'id="plan-reminders"' not in viewer.get("/sms").text
    assert viewer.post("/sms/reminders", data={"csrftoken": viewer_csrf}).status_code == 403
    profile = client.get(f"/donors/{given['home']}").text
    messages = profile[profile.index('id="messages"'):]
    assert "cảm ơn" in messages[:messages.index("</section>")]  # the thank-you, by its kind's words


def test_the_workspace_sms_forms_need_their_csrf_token_and_the_webhooks_keep_their_own_guard(world):
    from donor_registry.web.csrf import has_own_guard

    client, _ = signed_in(world, "coordinator")
    for path in ("/sms/reminders", f"/sms/{world['home']}/cancel", "/sms/templates/preview"):
        assert client.post(path, data={"text": "x"}).status_code == 403, path
    assert _status(world, world["home"]) == OutboxStatus.queued and _audited(world, "sms.plan") == []
    assert [p for p in ("/sms/status", "/sms/inbound", "/sms/esms/status/t/1") if not has_own_guard(p)] == []
    assert [p for p in ("/sms", "/sms/reminders", "/sms/1/retry") if has_own_guard(p)] == []


def test_queue_reminders_refuses_plainly_when_the_links_would_be_dead(world):
    settings = world["settings"]
    world["app"].state.settings = settings.model_copy(
        update={"sms": settings.sms.model_copy(update={"gateway": "twilio", "public_base_url": ""})})
    client, csrf = signed_in(world, "coordinator")
    refused = client.post("/sms/reminders", data={"csrftoken": csrf})
    assert refused.status_code == 422 and "sms.public_base_url" in refused.text and 'id="problem"' in refused.text
    assert _audited(world, "sms.plan") == []
