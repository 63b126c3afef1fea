"""Consent changes from a donor's profile: a coordinator records that the donor gave or withdrew
consent for one purpose and how; the change is audited with user:<login>, shown on the page,
read by the SMS audience (donors.consent_*), and refused outside the user's chapter."""

import pytest
from sqlmodel import select

from donor_registry.audit.models import AuditEntry
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.privacy.models import DonorConsent
from tests.api.test_workspace_access import _client
from tests.api.test_workspace_donors import THUY, build_world


@pytest.fixture
def world(engine, settings, now):
    return build_world(engine, settings, now)


def _consents(world, donor_id) -> list[tuple[str, str, bool]]:
    with session_scope(world["engine"]) as session:
        return [(c.purpose.value, c.channel.value, c.withdrawn_at is not None) for c in session.exec(
            select(DonorConsent).where(DonorConsent.donor_id == donor_id).order_by(DonorConsent.id))]


def _audited(world, action) -> list[tuple[str, int, str]]:
    with session_scope(world["engine"]) as session:
        return [(e.actor, e.subject_id, e.detail) for e in session.exec(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def test_a_coordinator_records_consent_and_a_withdrawal(world):
    client, csrf = _client(world, "coordinator")
    thuy = world["donors"]["thuy"]
    page = client.get(f"/donors/{thuy}").text
    # the fixture's donor agreed to SMS when registered and was never asked about health data
    assert 'id="withdraw-contact_sms"' in page and 'id="give-health_data"' in page
    before = _consents(world, thuy)
    given = client.post(f"/donors/{thuy}/consents", data={"csrftoken": csrf, "purpose": "health_data",
                                                          "change": "give", "channel": "paper"})
    assert given.status_code == 303 and given.headers["location"].startswith(f"/donors/{thuy}")
    assert _consents(world, thuy) == [*before, ("health_data", "paper", False)]
    shown = client.get(given.headers["location"]).text
    assert "Đã ghi nhận sự đồng ý của người hiến." in shown
    row = shown[shown.index('id="consent-health_data"'):]
    row = row[:row.index("</tr>")]
    assert "đã đồng ý" in row and 'id="withdraw-health_data"' in row

    withdrawn = client.post(f"/donors/{thuy}/consents", data={"csrftoken": csrf, "purpose": "contact_sms",
                                                              "change": "withdraw", "channel": "verbal"})
    assert withdrawn.status_code == 303
    with session_scope(world["engine"]) as session:
        assert session.get(Donor, thuy).consent_withdrawn_at is not None  # the SMS audience reads this
    shown = client.get(f"/donors/{thuy}").text
    row = shown[shown.index('id="consent-contact_sms"'):]
    assert 'id="give-contact_sms"' in row[:row.index("</tr>")]
    assert [(a, s) for a, s, _ in _audited(world, "consent.give")] == [("user:coordinator", thuy)]
    assert [(a, s) for a, s, _ in _audited(world, "consent.withdraw")] == [("user:coordinator", thuy)]


def test_a_bad_choice_is_a_plain_error_and_changes_nothing(world):
    client, csrf = _client(world, "coordinator")
    thuy = world["donors"]["thuy"]
    before = _consents(world, thuy)
    for data, words in (({"purpose": "marketing", "change": "give", "channel": "paper"}, "Hãy chọn"),
                        ({"purpose": "health_data", "change": "maybe", "channel": "paper"}, "Hãy chọn"),
                        ({"purpose": "health_data", "change": "give", "channel": "import"}, "Hãy chọn")):
        refused = client.post(f"/donors/{thuy}/consents", data={"csrftoken": csrf, **data})
        assert refused.status_code == 422 and words in refused.text and THUY in refused.text
    assert _consents(world, thuy) == before and _audited(world, "consent.give") == []


def test_a_viewer_or_another_chapter_cannot_change_consent(world):
    thuy = world["donors"]["thuy"]
    before = _consents(world, thuy)
    viewer, viewer_csrf = _client(world, "viewer")
    assert 'id="give-health_data"' not in viewer.get(f"/donors/{thuy}").text
    form = {"purpose": "health_data", "change": "give", "channel": "paper"}
    assert viewer.post(f"/donors/{thuy}/consents", data={"csrftoken": viewer_csrf, **form}).status_code == 403
    other, other_csrf = _client(world, "other_coordinator")
    assert other.post(f"/donors/{thuy}/consents", data={"csrftoken": other_csrf, **form}).status_code == 404
    assert _consents(world, thuy) == before
