"""The honours pages over HTTP: candidates by tier, plan a ceremony, award (never twice), revoke,
the lists as XLSX and PDF (audited), another chapter's coordinator refused, a viewer reading only."""

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.chapters import service as chapters
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.honours.models import HonourAward
from tests.api.workspace_support import add_people, signed_in
from tests.service import emergency_support as make


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        add = lambda **kw: chapters.create_chapter(session=session, now=now, **kw).id
        vn = add(kind="national")
        home = add(kind="province", parent_id=vn, province_code="92")
        ward = add(kind="commune", parent_id=home, commune_code="31507")
        other = add(kind="province", parent_id=vn, province_code="15")
        people = add_people(session, now, home, other)
        donors = {}
        for name, chapter, count in (("Trần Thị Lan", ward, 5), ("Nguyễn Văn An", ward, 12),
                                     ("Lê Minh Bình", home, 10), ("Phạm Văn Xa", other, 20),
                                     ("Võ Văn Ít", ward, 3)):
            donors[name] = make.donor(session, now, name=name)
            donor = session.get(Donor, donors[name])
            donor.chapter_id, donor.donation_count = chapter, count
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "donors": donors,
            "home": home, "ward": ward}


def _audit(world, action):
    with session_scope(world["engine"]) as session:
        return [(e.actor, e.subject_id) for e in session.exec(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def _section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    end = html.find("</section>", start)
    return html[start:end]


def _plan(world, client, csrf) -> int:
    planned = client.post("/honours/ceremonies", data={"csrftoken": csrf, "name": "Tôn vinh 14/6/2026",
                                                        "held_on": "14/06/2026", "level": "commune",
                                                        "chapter_id": str(world["home"])})
    assert planned.status_code == 303, planned.text
    return int(planned.headers["location"].rsplit("/", 1)[1])


def test_the_candidates_page_lists_the_chapters_donors_at_their_tiers_in_vietnamese_order(world):
    client, _ = signed_in(world, "viewer")
    page = client.get("/honours")
    assert page.status_code == 200
    donors = world["donors"]
    ten, five = _section(page.text, "tier-10"), _section(page.text, "tier-5")
    assert "10 lần" in ten and "5 lần" in five
    assert ten.index("Nguyễn Văn An") < ten.index("Lê Minh Bình")  # An before Bình: the given name first
    assert f'href="/donors/{donors["Nguyễn Văn An"]}"' in ten and "Trần Thị Lan" not in ten
    assert f'href="/donors/{donors["Trần Thị Lan"]}"' in five
    assert "Phạm Văn Xa" not in page.text and "Võ Văn Ít" not in page.text  # another chapter; below 5
    assert 'id="tier-20"' not in page.text
    future = client.get("/honours?as_of=01/01/2099")
    assert future.status_code == 200 and 'id="as_of-error"' in future.text


def test_plan_a_ceremony_award_its_list_and_the_award_twice_is_refused(world):
    client, csrf = signed_in(world, "coordinator")
    refused = client.post("/honours/ceremonies", data={"csrftoken": csrf, "held_on": "14 tháng 6",
                                                        "level": "district", "chapter_id": str(world["home"])})
    assert refused.status_code == 422
    assert 'id="held_on-error"' in refused.text and 'id="level-error"' in refused.text
    ceremony = _plan(world, client, csrf)
    assert "Tôn vinh 14/6/2026" in client.get("/honours/ceremonies").text
    page = client.get(f"/honours/ceremonies/{ceremony}").text
    proposed = _section(page, "proposed")
    assert "Nguyễn Văn An" in proposed and "Lê Minh Bình" in proposed and "Trần Thị Lan" in proposed
    donors = world["donors"]
    chosen = [donors["Nguyễn Văn An"], donors["Trần Thị Lan"]]
    awarded = client.post(f"/honours/ceremonies/{ceremony}/award", data={"csrftoken": csrf, "donor_id": chosen})
    assert awarded.status_code == 303
    page = client.get(f"/honours/ceremonies/{ceremony}").text
    assert "Nguyễn Văn An" in _section(page, "awarded") and "Nguyễn Văn An" not in _section(page, "proposed")
    again = client.post(f"/honours/ceremonies/{ceremony}/award", data={"csrftoken": csrf, "donor_id": chosen})
    assert again.status_code == 422 and 'id="problem"' in again.text and "không còn mốc nào để tôn vinh" in again.text
    with session_scope(world["engine"]) as session:
        held = sorted((a.donor_id, a.tier) for a in session.exec(select(HonourAward)))
    assert held == sorted([(donors["Nguyễn Văn An"], 10), (donors["Trần Thị Lan"], 5)])
    assert _audit(world, "honours.award") == [("user:coordinator", ceremony)]
    assert _audit(world, "honours.ceremony_create") == [("user:coordinator", ceremony)]


def test_the_ceremony_list_downloads_as_xlsx_and_pdf_and_each_download_is_audited(world):
    client, csrf = signed_in(world, "coordinator")
    ceremony = _plan(world, client, csrf)
    donors = world["donors"]
    client.post(f"/honours/ceremonies/{ceremony}/award",
                data={"csrftoken": csrf, "donor_id": [donors["Nguyễn Văn An"], donors["Trần Thị Lan"]]})
    xlsx = client.get(f"/honours/ceremonies/{ceremony}/list.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert ("Tôn vinh 14/6/2026",) == rows[1][:1]
    listed = [(row[0], row[1], row[6], row[7]) for row in rows if isinstance(row[0], int)]
    assert listed == [(1, "Nguyễn Văn An", 12, "10 lần"), (2, "Trần Thị Lan", 5, "5 lần")]
    phone = make_phone(world, donors["Nguyễn Văn An"])
    assert all(phone not in str(cell) for row in rows for cell in row)
    pdf = client.get(f"/honours/ceremonies/{ceremony}/list.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    candidates = client.get("/honours/candidates.xlsx")
    names = [row[1] for row in load_workbook(io.BytesIO(candidates.content)).active.iter_rows(values_only=True)
             if isinstance(row[0], int)]
    assert names == ["Lê Minh Bình"]  # An and Lan are awarded now
    assert client.get("/honours/candidates.pdf").content.startswith(b"%PDF")
    assert _audit(world, "honours.export") == [("user:coordinator", ceremony)] * 2
    assert [actor for actor, _ in _audit(world, "honours.export_candidates")] == ["user:coordinator"] * 2


def make_phone(world, donor_id) -> str:
    with session_scope(world["engine"]) as session:
        return session.get(Donor, donor_id).phone_e164


def test_a_revocation_needs_a_reason_and_lists_the_donor_again(world):
    client, csrf = signed_in(world, "coordinator")
    ceremony = _plan(world, client, csrf)
    an = world["donors"]["Nguyễn Văn An"]
    client.post(f"/honours/ceremonies/{ceremony}/award", data={"csrftoken": csrf, "donor_id": [an]})
    form = {"csrftoken": csrf, "donor_id": str(an), "tier": "10"}
    missing = client.post(f"/honours/ceremonies/{ceremony}/revoke", data={**form, "reason": " "})
    assert missing.status_code == 422 and f'id="reason-{an}-10-error"' in missing.text
    assert client.post(f"/honours/ceremonies/{ceremony}/revoke",
                       data={**form, "tier": "5", "reason": "nhầm"}).status_code == 422  # not given here
    revoked = client.post(f"/honours/ceremonies/{ceremony}/revoke", data={**form, "reason": "nhầm người"})
    assert revoked.status_code == 303
    page = client.get(f"/honours/ceremonies/{ceremony}").text
    assert "Nguyễn Văn An" in _section(page, "proposed") and 'id="nobody-awarded"' in page
    assert _audit(world, "honours.revoke") == [("user:coordinator", an)]


def test_a_coordinator_of_another_chapter_gets_404_for_this_chapters_ceremony(world):
    client, csrf = signed_in(world, "coordinator")
    ceremony = _plan(world, client, csrf)
    other, other_csrf = signed_in(world, "other")
    for path in ("", "/list.xlsx", "/list.pdf"):
        answer = other.get(f"/honours/ceremonies/{ceremony}{path}")
        assert answer.status_code == 404 and "Tôn vinh 14/6/2026" not in answer.text
    refused = other.post(f"/honours/ceremonies/{ceremony}/award",
                         data={"csrftoken": other_csrf, "donor_id": [world["donors"]["Nguyễn Văn An"]]})
    assert refused.status_code == 404
    assert "Tôn vinh 14/6/2026" not in other.get("/honours/ceremonies").text
    assert "Phạm Văn Xa" in other.get("/honours").text and "Nguyễn Văn An" not in other.get("/honours").text
    planned = other.post("/honours/ceremonies", data={"csrftoken": other_csrf, "held_on": "14/06/2026",
                                                      "level": "commune", "chapter_id": str(world["home"])})
    assert planned.status_code == 422 and 'id="chapter_id-error"' in planned.text
    with session_scope(world["engine"]) as session:
        assert session.exec(select(HonourAward)).all() == []


def test_a_viewer_reads_the_ceremony_but_cannot_award(world):
    client, csrf = signed_in(world, "coordinator")
    ceremony = _plan(world, client, csrf)
    viewer, viewer_csrf = signed_in(world, "viewer")
    page = viewer.get(f"/honours/ceremonies/{ceremony}")
    assert page.status_code == 200 and "Nguyễn Văn An" in page.text and 'id="award-form"' not in page.text
    assert 'id="plan-ceremony"' not in viewer.get("/honours/ceremonies").text
    refused = viewer.post(f"/honours/ceremonies/{ceremony}/award",
                          data={"csrftoken": viewer_csrf, "donor_id": [world["donors"]["Nguyễn Văn An"]]})
    assert refused.status_code == 403
    with session_scope(world["engine"]) as session:
        assert session.exec(select(HonourAward)).all() == []


def test_another_chapters_donor_cannot_be_awarded_nor_named_through_a_ceremony(world):
    client, csrf = signed_in(world, "coordinator")
    ceremony = _plan(world, client, csrf)
    far = client.post(f"/honours/ceremonies/{ceremony}/award",
                      data={"csrftoken": csrf, "donor_id": [world["donors"]["Phạm Văn Xa"]]})
    assert far.status_code == 422 and 'id="problem"' in far.text and "Phạm Văn Xa" not in far.text
    low = client.post(f"/honours/ceremonies/{ceremony}/award",
                      data={"csrftoken": csrf, "donor_id": [world["donors"]["Võ Văn Ít"]]})
    assert low.status_code == 422 and "không còn mốc nào để tôn vinh" in low.text  # the service's refusal, as it says it
    with session_scope(world["engine"]) as session:
        assert session.exec(select(HonourAward)).all() == []


def test_candidates_as_of_a_past_day_count_the_donations_up_to_that_day(world):
    client, _ = signed_in(world, "viewer")
    day = "31/12/2025"  # before today (1 June 2026)
    page = client.get("/honours", params={"as_of": day})
    assert page.status_code == 200 and day in page.text and 'id="nobody"' in page.text  # no donation rows
    assert "as_of=" in page.text  # the downloads keep the day
    listed = client.get("/honours/candidates.xlsx", params={"as_of": day})
    rows = list(load_workbook(io.BytesIO(listed.content)).active.iter_rows(values_only=True))
    assert day in rows[1][0] and not [row for row in rows if isinstance(row[0], int)]
    assert client.get("/honours/candidates.xlsx", params={"as_of": "hôm qua"}).status_code == 422
