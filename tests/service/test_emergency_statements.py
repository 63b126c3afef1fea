"""Matching's statements are built once per shape (emergency/candidate_sql.py) and run again with
new values: a statement built for one day, moment and request must answer for another exactly
as a statement built afresh would."""

import datetime as dt

from sqlmodel import select

from donor_registry.donors.eligibility_sql import eligible_clause_bound, eligible_values
from donor_registry.donors.models import Donor
from donor_registry.emergency import candidate_sql, matching
from donor_registry.emergency.models import CallOut, EmergencyRequest
from donor_registry.portal.models import DonorAvailability
from tests.service import emergency_support as make

ROTATION_DAYS = 30


def _request(session, now, hospital) -> EmergencyRequest:
    request = EmergencyRequest(
        abo="A", rh="+", units=1, needed_by=now + dt.timedelta(hours=6), hospital_id=hospital.id, created_at=now,
        created_by="test", province_code=hospital.province_code, commune_code=hospital.commune_code,
        latitude=hospital.latitude, longitude=hospital.longitude)
    session.add(request)
    session.flush()
    return request


def _pick(session, request, moment, rules):
    picked, _ = matching.pick(session=session, request=request, want=10, now=moment, on=moment.date(), rules=rules,
                              rotation_days=ROTATION_DAYS, rings=["commune"])
    return [candidate.donor_id for candidate in picked]


def _donors(session, now, first: EmergencyRequest):
    """Four A+ donors of the hospital's commune: one callable any day; one not eligible until
    40 days on; one whose availability starts 40 days on; one asked by `first` 10 days ago."""
    plain, later, unavailable, recent = (make.donor(session, now, "A+") for _ in range(4))
    session.get(Donor, later).eligible_again_on = (now + dt.timedelta(days=40)).date()
    session.add(DonorAvailability(donor_id=unavailable, not_until=(now + dt.timedelta(days=40)).date(),
                                  updated_at=now))
    session.add(CallOut(request_id=first.id, donor_id=recent, wave=1, asked_at=now - dt.timedelta(days=10),
                        reply_token_hash="0" * 64, token_expires_at=now))
    session.flush()
    return plain, later, unavailable, recent


def test_one_statement_answers_for_another_day_moment_and_request(session, now, settings):
    hospital, _ = make.hospital(session, now)
    first, second = _request(session, now, hospital), _request(session, now, hospital)
    plain, later, unavailable, recent = _donors(session, now, first)
    later_on = now + dt.timedelta(days=40)
    rules = settings.eligibility
    candidate_sql.statement.cache_clear()
    # Built for 40 days on and the second request first, then run for today and the first.
    assert _pick(session, second, later_on, rules) == [plain, later, unavailable, recent]
    built = candidate_sql.statement.cache_info().misses
    # Today: `later` not eligible, `unavailable` not yet available, `recent` asked 10 days ago
    # (asked again only once the others run out), and the first request already asked them.
    assert _pick(session, second, now, rules) == [plain, recent]
    assert _pick(session, first, now, rules) == [plain]
    assert _pick(session, first, later_on, rules) == [plain, later, unavailable]
    assert candidate_sql.statement.cache_info().misses == built  # no statement built again
    candidate_sql.statement.cache_clear()
    assert _pick(session, second, now, rules) == [plain, recent]
    assert _pick(session, first, now, rules) == [plain]


def test_the_bound_eligibility_condition_gives_each_day_its_donors(session, now, settings):
    """eligible_clause_bound, one statement run with eligible_values of three days, at the age
    limits (18 to 60 years: out from the 61st birthday)."""
    born = [dt.date(1966, 6, 1), dt.date(1966, 6, 2), dt.date(2008, 6, 1), dt.date(2008, 6, 2)]
    ids = [make.donor(session, now, "O+", date_of_birth=day, birth_year=None) for day in born]
    statement = select(Donor.id).where(eligible_clause_bound(), Donor.id.in_(ids)).order_by(Donor.id)
    expected = {dt.date(2026, 6, 1): [0, 1, 2], dt.date(2026, 6, 2): [0, 1, 2, 3], dt.date(2027, 6, 1): [1, 2, 3]}
    for day, which in expected.items():
        found = session.execute(statement, eligible_values(day, settings.eligibility)).scalars()
        assert list(found) == [ids[i] for i in which], day
