"""Campaign pages over HTTP: a coordinator adds a campaign of its chapter (dates as typed on a
phone, errors next to their fields), sees it with its drives, cancels it with its planned drives;
another chapter's coordinator never sees it; a viewer reads but cannot add or cancel."""

import datetime as dt
import re

import pytest
from sqlmodel import select

from donor_registry.accounts.models import Role
from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import (
    Campaign,
    CampaignStatus,
    Drive,
    DriveCreate,
    DriveStatus,
)
from donor_registry.db import session_scope
from tests.api.test_workspace_access import _chapters, _client, _user
from tests.service import emergency_support as make


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        tree = _chapters(session, now)
        people = {role.value: _user(session, now, role.value, role, tree["home"]).id for role in Role}
        people["other_coordinator"] = _user(session, now, "other.coord", Role.coordinator, tree["other"]).id
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "tree": tree}


def _campaigns(world) -> list[tuple]:
    with session_scope(world["engine"]) as session:
        return [(c.name, c.start, c.end, c.year, c.chapter_id, c.status)
                for c in session.exec(select(Campaign).order_by(Campaign.id))]


def test_a_coordinator_adds_sees_and_cancels_a_campaign_of_its_chapter(world):
    client, csrf = _client(world, "coordinator")
    bad = client.post("/campaigns", data={"csrftoken": csrf, "name": "Mùa hè xanh", "start": "15/07/2026",
                                          "end": "", "target_units": "-3"})
    assert bad.status_code == 422 and 'id="end-error"' in bad.text and 'id="target_units-error"' in bad.text
    backwards = client.post("/campaigns", data={"csrftoken": csrf, "name": "Mùa hè xanh", "start": "15/07/2026",
                                                "end": "01/07/2026"})
    assert backwards.status_code == 422 and "01/07/2026" in re.search(r'id="problem">([^<]+)', backwards.text).group(1)
    assert _campaigns(world) == []
    added = client.post("/campaigns", data={"csrftoken": csrf, "name": " Mùa hè xanh ", "start": "15/07/2026",
                                            "end": "31/08/2026", "target_units": "200"})
    assert added.status_code == 303
    campaign_id = int(added.headers["location"].rsplit("/", 1)[1])
    assert _campaigns(world) == [("Mùa hè xanh", dt.date(2026, 7, 15), dt.date(2026, 8, 31), 2026,
                                  world["tree"]["home"], CampaignStatus.planned)]
    with session_scope(world["engine"]) as session:
        data = DriveCreate(campaign_id=campaign_id, date=dt.date(2026, 7, 20), start_time=dt.time(7),
                           end_time=dt.time(11), venue="Trường THPT Lê Quý Đôn", chapter_id=world["tree"]["home"],
                           **make.HOME)
        drive_id = add_drive(session=session, settings=world["settings"].campaigns, data=data, now=world["now"],
                             actor="test")[0].id
    page = client.get(f"/campaigns/{campaign_id}").text
    assert "Mùa hè xanh" in page and f'href="/drives/{drive_id}"' in page and 'id="cancel-campaign"' in page
    other, _ = _client(world, "other_coordinator")
    assert other.get(f"/campaigns/{campaign_id}").status_code == 404
    other_csrf = re.search(r'name="csrftoken" value="([^"]+)"', other.get("/").text).group(1)
    assert other.post(f"/campaigns/{campaign_id}/cancel", data={"csrftoken": other_csrf}).status_code == 404
    viewer, viewer_csrf = _client(world, "viewer")
    assert 'id="cancel-campaign"' not in viewer.get(f"/campaigns/{campaign_id}").text
    assert viewer.post(f"/campaigns/{campaign_id}/cancel", data={"csrftoken": viewer_csrf}).status_code == 403
    cancelled = client.post(f"/campaigns/{campaign_id}/cancel", data={"csrftoken": csrf})
    assert cancelled.status_code == 303
    assert _campaigns(world)[0][-1] == CampaignStatus.cancelled
    with session_scope(world["engine"]) as session:
        assert session.get(Drive, drive_id).status == DriveStatus.cancelled
        actors = {(e.action, e.actor) for e in session.exec(select(AuditEntry))}
    assert {("campaigns.add", "user:coordinator"), ("campaigns.cancel", "user:coordinator")} <= actors
    assert 'id="cancel-campaign"' not in client.get(f"/campaigns/{campaign_id}").text
