"""The workspace's donor pages over HTTP: search without diacritics, the profile, add / edit with
the field's error in Vietnamese, recording with the recording checks, duplicates and merge;
always within the user's chapter and below, every write audited with user:<login>."""

import datetime as dt
import re

import pytest
from sqlmodel import select

from donor_registry.accounts.models import Role
from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.db import session_scope
from donor_registry.donations.models import Donation, DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import Donor
from donor_registry.eligibility import EligibilityRules
from tests.api.test_workspace_access import _chapters, _client, _user
from tests.service import emergency_support as make

THUY = "Trần Thị Thúy"


@pytest.fixture
def world(engine, settings, now):
    return build_world(engine, settings, now)


def build_world(engine, settings, now) -> dict:
    """Two chapters' users; Thúy of the home ward (given 30 days ago) and a namesake elsewhere."""
    with session_scope(engine) as session:
        tree = _chapters(session, now)
        people = {role.value: _user(session, now, role.value, role, tree["home"]).id for role in Role}
        people["other_coordinator"] = _user(session, now, "other.coord", Role.coordinator, tree["other"]).id
        donors = {}
        for key, name, chapter, nid in (("thuy", THUY, tree["ward"], "079096000011"),
                                        ("far", "Trần Thị Thùy", tree["other"], "079096000012")):
            donors[key] = make.donor(session, now, name=name, national_id=nid)
            session.get(Donor, donors[key]).chapter_id = chapter
        # Given 30 days ago: a whole-blood donation today comes inside the 12-week interval.
        record_donation(session=session, donor_id=donors["thuy"], rules=EligibilityRules(), now=now,
                        data=DonationCreate(donated_on=now.date() - dt.timedelta(days=30)), actor="test")
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "tree": tree,
            "donors": donors}


def _donations(world, donor_id) -> list[Donation]:
    with session_scope(world["engine"]) as session:
        rows = session.exec(select(Donation).where(Donation.donor_id == donor_id).order_by(Donation.id)).all()
        session.expunge_all()
        return list(rows)


def _audit(world, action) -> list[tuple[str, int]]:
    with session_scope(world["engine"]) as session:
        return [(e.actor, e.subject_id) for e in session.exec(select(AuditEntry).where(AuditEntry.action == action))]


def test_search_without_diacritics_finds_the_donor_of_the_chapter_only(world):
    client, _ = _client(world, "coordinator")
    page = client.get("/donors", params={"q": "tran thi thuy"})
    assert page.status_code == 200
    assert THUY in page.text and f'href="/donors/{world["donors"]["thuy"]}"' in page.text
    assert "Trần Thị Thùy" not in page.text  # a namesake of another province
    by_id = client.get("/donors", params={"q": "079096000011"}).text
    assert THUY in by_id
    other, other_csrf = _client(world, "other_coordinator")
    assert THUY not in other.get("/donors", params={"q": "tran thi thuy"}).text
    assert THUY not in other.get("/donors", params={"q": "079096000011"}).text
    for path in ("", "/edit"):  # the profile and its edit form, by URL
        refused = other.get(f"/donors/{world['donors']['thuy']}{path}")
        assert refused.status_code == 404 and THUY not in refused.text
    edited = other.post(f"/donors/{world['donors']['thuy']}/edit",
                        data={"csrftoken": other_csrf, "full_name": "Người Lạ", "sex": "unknown"})
    assert edited.status_code == 404
    with session_scope(world["engine"]) as session:
        assert session.get(Donor, world["donors"]["thuy"]).full_name == THUY
    assert client.get("/donors").status_code == 200  # the empty form


def test_search_as_you_type_answers_htmx_with_the_results_alone(world):
    client, _ = _client(world, "coordinator")
    page = client.get("/donors", params={"q": "tran"})
    assert '<script src="/static/htmx.min.js"></script>' in page.text and 'hx-get="/donors"' in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]
    live = client.get("/donors", params={"q": "tran thi th"}, headers={"HX-Request": "true"})
    assert live.status_code == 200 and live.text.lstrip().startswith('<section id="results"')
    assert THUY in live.text and "<html" not in live.text
    back = client.get("/donors", params={"q": "tran"}, headers={"HX-Request": "true",
                                                                 "HX-History-Restore-Request": "true"})
    assert "<html" in back.text  # going back restores the whole page
    script = client.get("/static/htmx.min.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")


def test_a_viewer_finds_donors_with_phones_masked(world):
    viewer, _ = _client(world, "viewer")
    with session_scope(world["engine"]) as session:
        phone = session.get(Donor, world["donors"]["thuy"]).phone_e164
    found = viewer.get("/donors", params={"q": "thuy"}).text
    assert THUY in found and phone not in found and phone[-3:] in found
    assert "/donors/new" not in found and 'id="record"' not in viewer.get(f"/donors/{world['donors']['thuy']}").text


def test_the_profile_shows_history_counts_eligibility_consents_and_audit(world):
    client, _ = _client(world, "coordinator")
    page = client.get(f"/donors/{world['donors']['thuy']}").text
    assert 'id="history"' in page and "máu toàn phần: 1" in page
    assert "Quá sớm sau lần hiến trước" in page  # eligibility per type with the reason
    assert 'id="consents"' in page and 'id="audit"' in page and "donor.show" in page


def test_a_donation_the_interval_check_warns_about_is_recorded_only_anyway_with_a_reason(world):
    client, csrf = _client(world, "coordinator")
    donor = world["donors"]["thuy"]
    form = {"csrftoken": csrf, "donated_on": world["now"].date().isoformat(), "type": "whole_blood",
            "outcome": "donated", "volume_ml": "350"}
    warned = client.post(f"/donors/{donor}/donations", data=form)
    assert warned.status_code == 409 and 'id="warnings"' in warned.text
    assert "Quá sớm sau lần hiến trước" in warned.text and 'id="record-anyway"' in warned.text
    assert len(_donations(world, donor)) == 1  # nothing recorded
    no_reason = client.post(f"/donors/{donor}/donations", data={**form, "anyway": "1", "override": " "})
    assert no_reason.status_code == 409 and 'id="override-error"' in no_reason.text
    assert len(_donations(world, donor)) == 1
    anyway = client.post(f"/donors/{donor}/donations",
                         data={**form, "anyway": "1", "override": "bác sĩ đồng ý, hiến khẩn cấp"})
    assert anyway.status_code == 303 and anyway.headers["location"].startswith(f"/donors/{donor}")
    recorded = _donations(world, donor)[-1]
    assert len(_donations(world, donor)) == 2 and recorded.override_reason == "bác sĩ đồng ý, hiến khẩn cấp"
    assert recorded.source == "web" and recorded.violations
    assert _audit(world, "donations.override") == [("user:coordinator", recorded.id)]
    assert _audit(world, "donations.record") == [("user:coordinator", donor)]


def test_a_deferral_is_recorded_and_a_bad_field_is_named_in_vietnamese(world):
    client, csrf = _client(world, "coordinator")
    donor = world["donors"]["far"]
    other, other_csrf = _client(world, "other_coordinator")
    form = {"donated_on": world["now"].date().isoformat(), "outcome": "deferred", "type": "whole_blood"}
    missing = other.post(f"/donors/{donor}/donations", data={**form, "csrftoken": other_csrf})
    assert missing.status_code == 422 and "cần có lý do" in missing.text
    deferred = other.post(f"/donors/{donor}/donations",
                          data={**form, "csrftoken": other_csrf, "deferral_reason": "huyết áp cao"})
    assert deferred.status_code == 303 and _donations(world, donor)[-1].deferral_reason == "huyết áp cao"
    bad = other.post(f"/donors/{donor}/donations", data={**form, "csrftoken": other_csrf, "outcome": "donated",
                                                          "volume_ml": "5000"})
    assert bad.status_code == 422
    assert "1000" in re.search(r'id="volume_ml-error">([^<]+)', bad.text).group(1)
    refused = client.post(f"/donors/{donor}/donations", data={**form, "csrftoken": csrf, "deferral_reason": "x"})
    assert refused.status_code == 404 and len(_donations(world, donor)) == 1  # another chapter's donor


def _form_of(page: str) -> dict:
    """The values of a donor form as the browser would send them back."""
    values = dict(re.findall(r'<input id="(\w+)" name="\w+" type="[^"]+" value="([^"]*)"', page))
    for name, options in re.findall(r'<select id="(\w+)" name="\w+">(.*?)</select>', page, re.DOTALL):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        values[name] = chosen.group(1) if chosen else ""
    if re.search(r'name="standby" value="1" class="check" checked', page):
        values["standby"] = "1"
    values["notes"] = re.search(r'<textarea id="notes" name="notes" rows="3">([^<]*)</textarea>', page).group(1)
    return values


def test_edit_with_a_bad_weight_shows_the_field_error_in_vietnamese_and_changes_nothing(world):
    client, csrf = _client(world, "coordinator")
    donor = world["donors"]["thuy"]
    page = client.get(f"/donors/{donor}/edit")
    assert page.status_code == 200
    form = {**_form_of(page.text), "csrftoken": csrf}
    assert form["full_name"] == THUY and form["weight_kg"] == "60"
    bad = client.post(f"/donors/{donor}/edit", data={**form, "weight_kg": "5000"})
    assert bad.status_code == 422
    assert re.search(r'id="weight_kg-error">([^<]+)', bad.text).group(1) == "phải nhỏ hơn 300"
    with session_scope(world["engine"]) as session:
        assert session.get(Donor, donor).weight_kg == 60
    good = client.post(f"/donors/{donor}/edit", data={**form, "weight_kg": "58.5", "notes": "gọi buổi chiều"})
    assert good.status_code == 303
    with session_scope(world["engine"]) as session:
        changed = session.get(Donor, donor)
        assert (changed.weight_kg, changed.notes, changed.full_name) == (58.5, "gọi buổi chiều", THUY)
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "donor.update")).one()
    assert entry.actor == "user:coordinator" and entry.detail["fields"] == ["notes", "weight_kg"]


def test_register_a_donor_in_the_chapter_with_errors_next_to_their_fields(world):
    client, csrf = _client(world, "coordinator")
    page = client.get("/donors/new")
    assert page.status_code == 200
    form = {**_form_of(page.text), "csrftoken": csrf}
    assert form["chapter"] == str(world["tree"]["home"])
    bad = client.post("/donors/new", data={**form, "full_name": "", "phone": "12", "group": "X"})
    assert bad.status_code == 422
    for field in ("full_name", "phone", "group"):
        assert f'id="{field}-error"' in bad.text, field
    outside = client.post("/donors/new", data={**form, "full_name": "Lê Văn Tám",
                                                "chapter": str(world["tree"]["other"])})
    assert outside.status_code == 422 and 'id="chapter-error"' in outside.text
    taken = client.post("/donors/new", data={**form, "full_name": "Lê Văn Tám", "national_id": "079096000012"})
    assert taken.status_code == 422 and "Trần Thị Thùy" not in taken.text  # another chapter's holder
    assert 'id="national_id-error"' in taken.text
    added = client.post("/donors/new", data={**form, "full_name": "lê văn  tám", "birth_year": "1990",
                                              "group": "B+", "phone": "0912 345 678", "standby": "1"})
    assert added.status_code == 303
    donor_id = int(re.search(r"/donors/(\d+)", added.headers["location"]).group(1))
    with session_scope(world["engine"]) as session:
        donor = session.get(Donor, donor_id)
        assert (donor.full_name, donor.chapter_id, donor.phone_e164, donor.standby) == \
            ("Lê Văn Tám", world["tree"]["home"], "+84912345678", True)
    assert _audit(world, "donor.add") == [("user:coordinator", donor_id)]
    assert "Lê Văn Tám" in client.get("/donors", params={"q": "le van tam"}).text


def test_duplicates_side_by_side_and_merge_within_the_chapter(world):
    now = world["now"]
    with session_scope(world["engine"]) as session:
        twin = make.donor(session, now, name="Nguyễn Văn Hùng")
        session.get(Donor, twin).chapter_id = world["tree"]["ward"]
        again = make.donor(session, now, name="Nguyễn Văn Hùng")
        session.get(Donor, again).chapter_id = world["tree"]["home"]
        record_donation(session=session, donor_id=again, rules=EligibilityRules(), now=now,
                        data=DonationCreate(donated_on=now.date() - dt.timedelta(days=200)), actor="test")
        far = make.donor(session, now, name="Nguyễn Văn Hùng")  # the same name in another province
        session.get(Donor, far).chapter_id = world["tree"]["other"]
    client, csrf = _client(world, "coordinator")
    page = client.get("/donors/duplicates")
    assert page.status_code == 200
    assert f'id="pair-{twin}-{again}"' in page.text and "cùng họ tên, ngày/năm sinh và xã/phường" in page.text
    assert f"pair-{twin}-{far}" not in page.text and f"pair-{again}-{far}" not in page.text
    other, other_csrf = _client(world, "other_coordinator")
    assert "Nguyễn Văn Hùng" not in other.get("/donors/duplicates").text
    refused = other.post("/donors/duplicates/merge", data={"csrftoken": other_csrf, "keep_id": str(far),
                                                          "duplicate_id": str(twin)})
    assert refused.status_code == 404
    merged = client.post("/donors/duplicates/merge", data={"csrftoken": csrf, "keep_id": str(twin),
                                                           "duplicate_id": str(again)})
    assert merged.status_code == 303 and merged.headers["location"] == f"/donors/{twin}?merged={again}"
    with session_scope(world["engine"]) as session:
        assert session.get(Donor, again).merged_into_id == twin
        assert session.get(Donor, twin).donation_count == 1
        assert session.get(Donor, far).merged_into_id is None
    assert [len(_donations(world, d)) for d in (twin, again)] == [1, 0]
    assert _audit(world, "donor.merge") == [("user:coordinator", twin)]
    assert client.get(f"/donors/{again}").status_code == 404  # merged: only the donor kept is shown
    assert f"pair-{twin}-{again}" not in client.get("/donors/duplicates").text


def test_a_coordinator_texts_a_donor_the_link_to_their_record_once_a_day(world):
    from donor_registry.sms.models import OutboxMessage

    thuy = world["donors"]["thuy"]
    viewer, _ = _client(world, "viewer")
    assert 'id="record-link"' not in viewer.get(f"/donors/{thuy}").text
    client, csrf = _client(world, "coordinator")
    assert 'id="record-link"' in client.get(f"/donors/{thuy}").text
    sent = client.post(f"/donors/{thuy}/record-link", data={"csrftoken": csrf})
    assert sent.status_code == 303 and sent.headers["location"] == f"/donors/{thuy}?linked=1"
    assert "hết hạn sau 7 ngày" in client.get(sent.headers["location"]).text
    again = client.post(f"/donors/{thuy}/record-link", data={"csrftoken": csrf})
    assert again.status_code == 422 and f"người hiến #{thuy}" in re.search(r'id="problem">([^<]+)', again.text).group(1)
    with session_scope(world["engine"]) as session:
        links = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "portal_link")).all()
        assert [(m.donor_id, "/me/" in m.body) for m in links] == [(thuy, True)]
    assert _audit(world, "portal.link_sent") == [("user:coordinator", thuy)]
    other = client.post(f"/donors/{world['donors']['far']}/record-link", data={"csrftoken": csrf})
    assert other.status_code == 404


def test_search_shows_a_page_and_says_more_than_a_page_without_counting(world):
    with session_scope(world["engine"]) as session:
        for n in range(21):  # 21 namesakes in the ward, 3 in the other province
            chapter = world["tree"]["ward"]
            session.get(Donor, make.donor(session, world["now"], name=f"Phạm Văn Lộc{n:02d}")).chapter_id = chapter
        for n in range(3):
            session.get(Donor, make.donor(session, world["now"], name=f"Phạm Văn Lộc9{n}")).chapter_id = \
                world["tree"]["other"]
    client, _ = _client(world, "coordinator")
    page = client.get("/donors", params={"q": "pham van loc"}, headers={"HX-Request": "true"}).text
    shown = re.findall(r'class="donor-link">([^<]+)<', page)
    assert shown == [f"Phạm Văn Lộc{n:02d}" for n in range(20)]
    assert "Tìm thấy hơn 20 người hiến trong Hội của bạn và các Hội cấp dưới" in page
    page = client.get("/donors", params={"q": "pham van loc0"}, headers={"HX-Request": "true"}).text
    assert len(re.findall(r'class="donor-link"', page)) == 10
    assert "Tìm thấy 10 người hiến trong Hội của bạn và các Hội cấp dưới." in page
    other, _ = _client(world, "other_coordinator")
    page = other.get("/donors", params={"q": "pham van loc"}, headers={"HX-Request": "true"}).text
    assert re.findall(r'class="donor-link">([^<]+)<', page) == ["Phạm Văn Lộc90", "Phạm Văn Lộc91", "Phạm Văn Lộc92"]
