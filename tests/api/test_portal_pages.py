"""The donor's record pages over HTTP: ask by phone, enter the code, see and change the record."""

import re
import warnings

import pytest
from sqlalchemy import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.portal import service
from donor_registry.portal.models import DonorAvailability
from donor_registry.sms.models import OutboxMessage
from tests.service import emergency_support as make

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def site(engine, settings, now):
    with session_scope(engine) as session:
        donor_id = make.donor(session, now, name="Trần Thị Mai")
        phone = session.get(Donor, donor_id).phone_e164
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"client": TestClient(app, follow_redirects=False), "engine": engine, "donor_id": donor_id,
            "phone": phone}


def _codes(engine) -> list[OutboxMessage]:
    with session_scope(engine) as session:
        rows = session.execute(select(OutboxMessage).where(OutboxMessage.kind == "portal_code")).scalars().all()
        session.expunge_all()
        return rows


def test_a_code_by_phone_opens_the_record_once(site):
    client, engine = site["client"], site["engine"]
    assert client.get("/me?lang=en").status_code == 200
    known = client.post("/me?lang=en", data={"phone": site["phone"]})
    unknown = client.post("/me?lang=en", data={"phone": "0909999999"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)
    assert strip(known.text) == strip(unknown.text)
    [message] = _codes(engine)
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    opened = client.post("/me/code?lang=en", data={"phone": site["phone"], "code": code})
    assert opened.status_code == 303
    location = opened.headers["location"]
    again = client.post("/me/code?lang=en", data={"phone": site["phone"], "code": code})
    assert again.status_code == 400
    page = client.get(location)
    assert page.status_code == 200
    assert "T. T. Mai" in page.text and "Trần Thị Mai" not in page.text and site["phone"] not in page.text
    assert "My bookings" in page.text and "<script" not in page.text
    with session_scope(engine) as session:
        views = session.execute(select(AuditEntry).where(AuditEntry.action == "portal.view")).scalars().all()
        assert [v.subject_id for v in views] == [site["donor_id"]]


def test_the_donor_changes_availability_language_and_consent(site, now):
    client, engine = site["client"], site["engine"]
    with session_scope(engine) as session:
        token = service.issue_link(session=session, donor_id=site["donor_id"], now=now)
    saved = client.post(f"/me/{token}/availability?lang=en",
                        data={"days": ["0", "1", "2", "3", "4"], "from_time": "17:00", "until_time": "",
                              "not_until": "2026-07-01"})
    assert saved.status_code == 303
    assert client.post(f"/me/{token}/availability", data={"from_time": "26:00"}).status_code == 422
    assert client.post(f"/me/{token}/language", data={"lang": "vi"}).headers["location"] == f"/me/{token}?lang=vi"
    assert client.post(f"/me/{token}/withdraw", data={"what": "messages"}).status_code == 303
    with session_scope(engine) as session:
        row = session.get(DonorAvailability, site["donor_id"])
        assert (row.weekdays, row.from_minute, row.until_minute, str(row.not_until), row.language) == \
            (0b11111, 1020, None, "2026-07-01", "vi")
        assert session.get(Donor, site["donor_id"]).sms_opted_out_at is not None
    page = client.get(f"/me/{token}")  # no ?lang=: the donor's chosen language
    assert 'lang="vi"' in page.text and 'value="17:00"' in page.text


def test_the_pages_speak_vietnamese_first(site):
    page = site["client"].get("/me", headers={"Accept-Language": ""})
    assert "Hồ sơ hiến máu của tôi" in page.text and 'lang="vi"' in page.text
