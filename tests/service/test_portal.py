"""The donor's record: links, codes by phone (once, limited, same answer), changes, matching."""

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from donor_registry.audit.models import AuditEntry
from donor_registry.donors.models import Donor
from donor_registry.errors import UserError
from donor_registry.portal import service
from donor_registry.portal.rules import WEEKDAYS, Availability
from donor_registry.privacy.models import Purpose
from donor_registry.sms.models import OutboxMessage
from tests.service import emergency_support as make

pytestmark = pytest.mark.usefixtures("english")


def codes_sent(session) -> list[OutboxMessage]:
    return list(session.execute(select(OutboxMessage).where(OutboxMessage.kind == "portal_code")
                                .order_by(OutboxMessage.id)).scalars())


def code_in(message: OutboxMessage) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def phone_of(session, donor_id: int) -> str:
    return session.get(Donor, donor_id).phone_e164


def test_the_record_shows_the_donors_facts_masked_and_audits_the_view(session, now, settings):
    donor_id = make.donor(session, now, name="Nguyễn Văn An")
    token = service.issue_link(session=session, donor_id=donor_id, now=now)
    record = service.open_record(session=session, token=token, now=now, eligibility=settings.eligibility,
                                 tiers=settings.honours.tiers)
    assert record.name == "N. V. An"
    phone = phone_of(session, donor_id)  # +8490nnnnnnn
    assert record.phone == f"+84 90x xxx {phone[-3:]}"
    assert record.bookings == []
    assert {kind for kind, _, _ in record.next_eligible}  # every donation type, with a date
    views = session.execute(select(AuditEntry).where(AuditEntry.action == "portal.view")).scalars().all()
    assert [(v.actor, v.subject_id) for v in views] == [(f"donor-link:{record.link.id}", donor_id)]


def test_a_link_expires(session, now, settings):
    donor_id = make.donor(session, now)
    token = service.issue_link(session=session, donor_id=donor_id, now=now, days=1)
    with pytest.raises(service.LinkProblem):
        service.open_record(session=session, token=token, now=now + dt.timedelta(days=1),
                            eligibility=settings.eligibility, tiers=settings.honours.tiers)
    with pytest.raises(service.LinkProblem):
        service.link_for(session=session, token="x" * 22, now=now)


def test_a_code_is_sent_once_and_opens_the_record_once(session, now):
    donor_id = make.donor(session, now)
    phone = phone_of(session, donor_id)
    assert service.request_code(session=session, phone=phone, client_ip="10.0.0.1", now=now)
    [message] = codes_sent(session)
    assert message.to_phone == phone and message.donor_id == donor_id
    code = code_in(message)
    assert service.redeem_code(session=session, phone=phone, code=code, now=now) is not None
    assert service.redeem_code(session=session, phone=phone, code=code, now=now) is None


def test_unknown_or_opted_out_phones_get_the_same_answer_and_no_message(session, now):
    donor_id = make.donor(session, now)
    session.get(Donor, donor_id).sms_opted_out_at = now
    assert service.request_code(session=session, phone=phone_of(session, donor_id), client_ip="a", now=now)
    assert service.request_code(session=session, phone="0909999999", client_ip="a", now=now)
    assert codes_sent(session) == []


def test_codes_expire_and_wrong_tries_are_limited(session, now):
    donor_id = make.donor(session, now)
    phone = phone_of(session, donor_id)
    service.request_code(session=session, phone=phone, client_ip="b", now=now)
    code = code_in(codes_sent(session)[0])
    late = now + dt.timedelta(minutes=service.CODE_MINUTES)
    assert service.redeem_code(session=session, phone=phone, code=code, now=late) is None
    service.request_code(session=session, phone=phone, client_ip="b", now=now)
    code = code_in(codes_sent(session)[1])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(service.MAX_ATTEMPTS):
        assert service.redeem_code(session=session, phone=phone, code=wrong, now=now) is None
    assert service.redeem_code(session=session, phone=phone, code=code, now=now) is None


def test_requests_are_rate_limited_per_phone_and_per_address(session, now):
    donor_id = make.donor(session, now)
    phone = phone_of(session, donor_id)
    answers = [service.request_code(session=session, phone=phone, client_ip=f"ip{i}", now=now) for i in range(4)]
    assert answers == [True, True, True, False]
    assert len(codes_sent(session)) == service.PHONE_LIMIT
    answers = [service.request_code(session=session, phone=f"09100000{i:02d}", client_ip="same", now=now)
               for i in range(11)]
    assert answers == [True] * service.IP_LIMIT + [False]
    an_hour_later = now + service.LIMIT_WINDOW
    assert service.request_code(session=session, phone=phone, client_ip="ip9", now=an_hour_later)


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tries=st.lists(st.sampled_from(["right", "wrong", "other"]), max_size=8))
def test_a_code_is_accepted_at_most_once(session, now, tries):
    donor_id = make.donor(session, now)
    phone = phone_of(session, donor_id)
    service.request_code(session=session, phone=phone, client_ip=f"p{donor_id}", now=now)
    code = code_in(codes_sent(session)[-1])
    guesses = {"right": code, "wrong": f"{(int(code) + 1) % 10 ** 6:06d}", "other": "abc"}
    accepted = [service.redeem_code(session=session, phone=phone, code=guesses[t], now=now) for t in tries]
    opened = [token for token in accepted if token is not None]
    assert len(opened) <= 1
    wrong_before = next((i for i, t in enumerate(tries) if t == "right"), None)
    if wrong_before is not None and wrong_before < service.MAX_ATTEMPTS:
        assert len(opened) == 1


def test_the_donors_changes_go_through_the_privacy_services_and_are_audited(session, now):
    donor_id = make.donor(session, now)
    token = service.issue_link(session=session, donor_id=donor_id, now=now)
    service.set_availability(session=session, token=token, now=now,
                             availability=Availability(weekdays=WEEKDAYS, from_minute=17 * 60))
    service.set_language(session=session, token=token, now=now, language="en")
    service.withdraw(session=session, token=token, now=now, what=Purpose.health_data.value)
    service.withdraw(session=session, token=token, now=now, what="messages")
    donor = session.get(Donor, donor_id)
    assert donor.sms_opted_out_at is not None
    actions = session.execute(select(AuditEntry.action, AuditEntry.actor).where(
        AuditEntry.subject_id == donor_id, AuditEntry.action != "donor.create").order_by(AuditEntry.id)).all()
    link_actor = actions[-1][1]
    assert link_actor.startswith("donor-link:")
    assert [a for a, actor in actions if actor == link_actor] == [
        "portal.availability", "portal.language", "consent.withdraw", "sms.opt_out"]


@pytest.mark.parametrize(("availability", "picked"), [
    (None, True),
    (Availability(weekdays=WEEKDAYS, from_minute=17 * 60), False),  # NOW is Monday 10:00 in Vietnam
    (Availability(weekdays=WEEKDAYS, from_minute=8 * 60, until_minute=11 * 60), True),
    (Availability(weekdays=0b1100000), False),  # weekends only
    (Availability(not_until=dt.date(2026, 6, 2)), False),
    (Availability(not_until=dt.date(2026, 6, 1)), True),
])
def test_matching_respects_availability(session, now, settings, availability, picked):
    donor_id = make.donor(session, now)
    if availability is not None:
        token = service.issue_link(session=session, donor_id=donor_id, now=now)
        service.set_availability(session=session, token=token, now=now, availability=availability)
    hospital, _ = make.hospital(session, now)
    request = make.request(session, now, settings, hospital.id, "O+", units=1)
    assert (donor_id in make.asked(session, request.id)) is picked


MOMENTS = [dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC),  # Monday 10:00 in Vietnam
           dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC),  # Monday 17:00
           dt.datetime(2026, 6, 6, 17, 30, tzinfo=dt.UTC),  # Sunday 00:30 (Saturday in UTC)
           dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)]  # Wednesday 19:00, a month later
WINDOWS = [Availability(), Availability(weekdays=WEEKDAYS, from_minute=17 * 60),
           Availability(weekdays=0b1000000), Availability(from_minute=0, until_minute=60),
           Availability(not_until=dt.date(2026, 7, 1)), Availability(until_minute=17 * 60)]


def test_the_sql_clause_agrees_with_the_pure_rule(session, now):
    from donor_registry.portal.availability_sql import available_clause
    from donor_registry.portal.rules import available_at

    donors = {}
    for availability in WINDOWS:
        donor_id = make.donor(session, now)
        token = service.issue_link(session=session, donor_id=donor_id, now=now)
        service.set_availability(session=session, token=token, now=now, availability=availability)
        donors[donor_id] = availability
    for moment in MOMENTS:
        found = set(session.execute(select(Donor.id).where(Donor.id.in_(donors), available_clause(moment))).scalars())
        assert found == {d for d, a in donors.items() if available_at(a, moment)}, moment


def test_parallel_redeems_of_one_code_open_the_record_once(engine, now):
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy.exc import OperationalError

    from donor_registry.db import session_scope

    with session_scope(engine) as session:
        donor_id = make.donor(session, now)
        phone = phone_of(session, donor_id)
        service.request_code(session=session, phone=phone, client_ip="par", now=now)
    with session_scope(engine) as session:
        code = code_in(codes_sent(session)[0])

    def redeem(_):
        try:
            with session_scope(engine) as session:
                return service.redeem_code(session=session, phone=phone, code=code, now=now)
        except OperationalError:  # a lock or serialisation failure is a refusal, never a second success
            return None

    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(redeem, range(8)))
    assert len([t for t in tokens if t is not None]) == 1


def test_a_record_link_sent_by_sms_opens_the_record_and_goes_at_most_once_a_day(session, now, settings):
    donor_id = make.donor(session, now, name="Lê Thị Hoa")
    url = service.send_link(session=session, donor_id=donor_id, now=now, base_url="https://hienmau.example.vn/",
                            actor="cli:root")
    assert re.fullmatch(r"https://hienmau\.example\.vn/me/[A-Za-z0-9_-]{20,}", url)
    sent = list(session.execute(select(OutboxMessage).where(OutboxMessage.kind == "portal_link")).scalars())
    assert [(m.donor_id, m.to_phone, url in m.body) for m in sent] == [(donor_id, phone_of(session, donor_id), True)]
    record = service.open_record(session=session, token=url.rsplit("/", 1)[1], now=now + dt.timedelta(days=6),
                                 eligibility=settings.eligibility, tiers=settings.honours.tiers)
    assert record.donor.id == donor_id
    with pytest.raises(service.LinkProblem):  # a sent link lives 7 days
        service.link_for(session=session, token=url.rsplit("/", 1)[1], now=now + dt.timedelta(days=7))
    with pytest.raises(UserError, match="already sent to donor"):
        service.send_link(session=session, donor_id=donor_id, now=now + dt.timedelta(hours=1),
                          base_url="https://hienmau.example.vn", actor="cli:root")
    service.send_link(session=session, donor_id=donor_id, now=now + dt.timedelta(days=1),
                      base_url="https://hienmau.example.vn", actor="cli:root")
    audited = session.execute(select(AuditEntry.actor).where(AuditEntry.action == "portal.link_sent")).scalars()
    assert list(audited) == ["cli:root", "cli:root"]


def test_no_record_link_goes_to_a_donor_who_opted_out_or_to_no_one(session, now):
    donor_id = make.donor(session, now)
    session.get(Donor, donor_id).sms_opted_out_at = now
    for who in (donor_id, donor_id + 1000):
        with pytest.raises(UserError):
            service.send_link(session=session, donor_id=who, now=now, base_url="https://x.vn", actor="cli:root")
    assert session.execute(select(OutboxMessage).where(OutboxMessage.kind == "portal_link")).first() is None
