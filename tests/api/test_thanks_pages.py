"""Closing the loop over HTTP: the hospital API and /h page mark donations used, the workspace
drive page releases a drive's units, and the donor's /me record says where the blood went."""

import datetime as dt
import re
import warnings

import pytest
from sqlmodel import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.campaigns import drives
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.portal.service import issue_link
from donor_registry.sms.models import OutboxMessage
from donor_registry.thanks.models import DonationUse
from tests.api.workspace_support import add_people, signed_in
from tests.service import emergency_support as make
from tests.service.test_thanks import give

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def world(engine, settings, now):
    """Bình Dân's request, given for by Lan (certificate HM-0001) and Minh; Chợ Rẫy's, by Nga;
    a drive of the home chapter where Hòa and Tú gave."""
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="79")
        other = add(kind="province", parent_id=vn, province_code="15")
        people = add_people(session, now, home, other)
        binh_dan, own_token = make.hospital(session, now)
        cho_ray, other_token = make.hospital(session, now, name="Bệnh viện Chợ Rẫy")
        own = make.request(session, now, settings, binh_dan.id, units=2)
        foreign = make.request(session, now, settings, cho_ray.id)
        donors = {name: make.donor(session, now, name=f"Phạm Thị {name}", standby=False)
                  for name in ("Lan", "Minh", "Nga", "Hòa", "Tú")}
        drive, _ = drives.add_drive(session=session, settings=CampaignSettings(), now=now, data=DriveCreate(
            date=TODAY, start_time=dt.time(7), end_time=dt.time(11), venue="Nhà văn hóa xã Tân Lập",
            chapter_id=home))
        given = {"Lan": give(session, now, donors["Lan"], request_id=own.id, certificate="HM-0001"),
                 "Minh": give(session, now, donors["Minh"], request_id=own.id),
                 "Nga": give(session, now, donors["Nga"], request_id=foreign.id),
                 "Hòa": give(session, now, donors["Hòa"], drive_id=drive.id),
                 "Tú": give(session, now, donors["Tú"], drive_id=drive.id)}
        ids = {"binh_dan": binh_dan.id, "cho_ray": cho_ray.id, "own": own.id, "foreign": foreign.id,
               "drive": drive.id}
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "given": given,
            "donors": donors, "own_token": own_token, "other_token": other_token, **ids,
            "client": TestClient(app, follow_redirects=False)}


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _state(world):
    """({donation id: hospital id}, [(donor id, body)] of the thank-yous), read afresh."""
    with session_scope(world["engine"]) as session:
        used = dict(session.exec(select(DonationUse.donation_id, DonationUse.hospital_id)).all())
        sent = list(session.exec(select(OutboxMessage.donor_id, OutboxMessage.body)
                                 .where(OutboxMessage.kind == "blood_reached").order_by(OutboxMessage.id)).all())
    return used, sent


def _used(world, token, request_id, donations):
    return world["client"].post(f"/api/v1/emergency-requests/{request_id}/used", headers=_bearer(token),
                                json={"donations": donations})


def test_the_api_marks_donations_used_once_and_lists_them(world):
    given = world["given"]
    shown = world["client"].get(f"/api/v1/emergency-requests/{world['own']}", headers=_bearer(world["own_token"]))
    assert [(d["id"], d["used_at"]) for d in shown.json()["donations"]] == [(given["Lan"], None), (given["Minh"], None)]
    first = _used(world, world["own_token"], world["own"], ["HM-0001"])
    assert first.status_code == 200, first.text
    assert (first.json()["marked"], first.json()["already"]) == ([given["Lan"]], [])
    again = _used(world, world["own_token"], world["own"], [given["Lan"], given["Minh"]])
    assert (again.json()["marked"], again.json()["already"]) == ([given["Minh"]], [given["Lan"]])
    assert [d["used_at"] is not None for d in again.json()["request"]["donations"]] == [True, True]
    used, sent = _state(world)
    assert used == {given["Lan"]: world["binh_dan"], given["Minh"]: world["binh_dan"]}
    assert [donor for donor, _ in sent] == [world["donors"]["Lan"], world["donors"]["Minh"]]
    assert all("Benh vien Binh Dan" in body and "Pham" not in body for _, body in sent)


@pytest.mark.parametrize("who, request_key, donations, status", [
    ("other_token", "own", ["HM-0001"], 404),  # another hospital's request: as if it did not exist
    ("other_token", "foreign", ["HM-0001"], 422),  # its own request, another hospital's donation
    ("own_token", "own", ["Nga"], 422),  # a donation given for another request
    ("own_token", "own", ["HM-0001", "Hòa"], 422),  # one good, one a drive's: nothing marked
    ("own_token", "own", [999999], 422),
    ("own_token", "own", [2147483648], 422),  # past any donation id: PostgreSQL's INTEGER refuses to compare it
    ("own_token", "own", ["99999999999999"], 422),
    ("own_token", "own", [], 422),
    (None, "own", ["HM-0001"], 401),
])
def test_the_api_refuses_what_is_not_the_hospitals_and_changes_nothing(world, who, request_key, donations, status):
    typed = [world["given"].get(d, d) if isinstance(d, str) else d for d in donations]
    headers = _bearer(world[who]) if who else {}
    response = world["client"].post(f"/api/v1/emergency-requests/{world[request_key]}/used", headers=headers,
                                    json={"donations": typed})
    assert response.status_code == status, response.text
    assert _state(world) == ({}, [])


def _hospital_client(world, token):
    client = TestClient(world["app"], follow_redirects=False)
    assert client.post("/h/login", data={"token": token}).status_code == 303
    return client


def test_the_hospital_page_ticks_donations_used(world):
    given = world["given"]
    client = _hospital_client(world, world["own_token"])
    page = client.get(f"/h/requests/{world['own']}?lang=en")
    assert f'id="used-{given["Lan"]}"' in page.text and f'id="used-{given["Minh"]}"' in page.text
    assert 'id="mark-used"' in page.text and 'id="used-numbers"' in page.text
    done = client.post(f"/h/requests/{world['own']}/used?lang=en", data={"donation": [str(given["Minh"])],
                                                                       "numbers": "HM-0001"})
    assert done.status_code == 200
    assert re.search(r'id="used-done">Marked used: 2; already marked before: 0\.', done.text)
    assert f'id="used-{given["Lan"]}"' not in done.text  # no box once used
    assert _state(world)[0] == {given["Lan"]: world["binh_dan"], given["Minh"]: world["binh_dan"]}


def test_the_hospital_page_refuses_a_foreign_number_in_one_sentence(world):
    client = _hospital_client(world, world["own_token"])
    refused = client.post(f"/h/requests/{world['own']}/used", data={"numbers": f"HM-0001, {world['given']['Nga']}"})
    assert refused.status_code == 422
    problem = re.search(r'id="used-problem">([^<]+)<', refused.text).group(1)
    assert problem == (f"Các số này không phải hiến máu cho yêu cầu này: {world['given']['Nga']}; "
                       "chưa đánh dấu gì.")
    assert _state(world) == ({}, [])
    other = _hospital_client(world, world["other_token"])
    assert other.post(f"/h/requests/{world['own']}/used", data={"numbers": "HM-0001"}).status_code == 404
    assert _state(world) == ({}, [])


def test_a_coordinator_releases_a_drives_units_from_the_drive_page(world):
    client, csrf = signed_in(world, "coordinator")
    page = client.get(f"/drives/{world['drive']}")  # the workspace speaks the user's language: Vietnamese
    assert 'id="release-form"' in page.text and 'id="release-hospital"' in page.text
    assert re.search(r'id="release-waiting">2 đơn vị máu đã hiến ở đợt này chưa chuyển đi\.', page.text)
    refused = client.post(f"/drives/{world['drive']}/release", data={"csrftoken": csrf, "hospital_id": ""})
    assert refused.status_code == 422 and 'id="release-problem"' in refused.text
    done = client.post(f"/drives/{world['drive']}/release",
                       data={"csrftoken": csrf, "hospital_id": str(world["cho_ray"])})
    assert done.status_code == 303 and done.headers["location"] == f"/drives/{world['drive']}?released=2#release"
    shown = client.get(done.headers["location"].split("#")[0])
    assert re.search(r'id="release-done">Đã chuyển 2 đơn vị máu;', shown.text) and 'id="release-form"' not in shown.text
    used, sent = _state(world)
    assert used == {world["given"]["Hòa"]: world["cho_ray"], world["given"]["Tú"]: world["cho_ray"]}
    assert [donor for donor, _ in sent] == [world["donors"]["Hòa"], world["donors"]["Tú"]]
    with session_scope(world["engine"]) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "thanks.released")).one()
        assert (entry.actor, entry.subject_id, entry.detail) == (
            "user:coordinator", world["drive"], {"hospital_id": world["cho_ray"], "count": 2})


def test_another_chapters_coordinator_cannot_release_the_drive(world):
    client, csrf = signed_in(world, "other")
    response = client.post(f"/drives/{world['drive']}/release",
                           data={"csrftoken": csrf, "hospital_id": str(world["cho_ray"])})
    assert response.status_code == 404
    assert _state(world) == ({}, [])


def test_the_donors_record_says_where_the_blood_went(world):
    _used(world, world["own_token"], world["own"], ["HM-0001"])
    with session_scope(world["engine"]) as session:
        token = issue_link(session=session, donor_id=world["donors"]["Lan"], now=world["now"])
        other = issue_link(session=session, donor_id=world["donors"]["Minh"], now=world["now"])
    page = world["client"].get(f"/me/{token}?lang=vi")
    assert re.search(rf'id="reached-{world["given"]["Lan"]}">Máu của bạn đã đến Bệnh viện Bình Dân<', page.text)
    assert "reached-" not in world["client"].get(f"/me/{other}?lang=vi").text  # Minh's not marked yet

