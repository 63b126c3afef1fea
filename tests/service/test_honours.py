"""Honour candidates, awards, revocation and merges on a real database."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from donor_registry.chapters import service as chapters
from donor_registry.donations.models import Donation, Outcome
from donor_registry.donations.service import refresh_donor_stats
from donor_registry.donors.duplicates import merge_donors
from donor_registry.donors.models import DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.errors import NotFound, UserError
from donor_registry.honours import service
from donor_registry.honours.models import CeremonyCreate, HonourAward
from donor_registry.honours.rules import HonourLevel, tiers_to_award
from donor_registry.honours.settings import HonoursSettings
from donor_registry.i18n import use_language
from donor_registry.types import DonationType

pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date(2026, 6, 1)
FIRST_DAY = dt.date(2000, 1, 3)


def donor(session, now, name="Nguyễn Văn An", **fields):
    return create_donor(session=session, data=DonorCreate(full_name=name, **fields), now=now)


def give(session, now, rules, who, n, *, start=FIRST_DAY, every_days=7, **fields):
    """Add n donations a week apart (fast: rows, then one stats refresh)."""
    for i in range(n):
        session.add(Donation(donor_id=who.id, donated_on=start + dt.timedelta(days=every_days * i),
                             created_at=now, **fields))
    session.flush()
    refresh_donor_stats(session=session, donor_ids=[who.id], rules=rules)


def ceremony(session, now, name="Tôn vinh 2026", **fields):
    data = CeremonyCreate(name=name, held_on=dt.date(2026, 6, 14), level=fields.pop("level", "province"), **fields)
    return service.create_ceremony(session=session, data=data, now=now)


def listed(session, settings=None, **kwargs):
    rows = service.candidates(session=session, settings=settings or HonoursSettings(), today=TODAY, **kwargs)
    return [(row.donor_id, row.tier) for row in rows]


def award_all(session, now, held, settings=None, **kwargs):
    return service.award(session=session, ceremony_id=held.id, settings=settings or HonoursSettings(), now=now,
                         today=TODAY, **kwargs)


def test_tier_boundaries(session, now, rules):
    counts = [4, 5, 9, 10, 99, 100]
    donors = {}
    for count in counts:
        donors[count] = donor(session, now, f"Người {count}")
        give(session, now, rules, donors[count], count)
    assert listed(session) == [(donors[5].id, 5), (donors[9].id, 5), (donors[10].id, 10),
                               (donors[99].id, 70), (donors[100].id, 100)]


def test_cached_count_and_count_from_donations_give_the_same_set(session, now, rules):
    for i, count in enumerate([3, 5, 7, 10, 12, 15, 31]):
        who = donor(session, now, f"Người số {i}")
        give(session, now, rules, who, count)
        give(session, now, rules, who, 2, start=dt.date(2020, 1, 1), outcome=Outcome.deferred,
             deferral_reason="huyết áp")
    held = ceremony(session, now)
    award_all(session, now, held, donor_ids=[listed(session)[0][0]])
    fast = listed(session)  # as of today: Donor.donation_count
    # As of today seen from tomorrow: counted from the donation rows.
    slow = service.candidates(session=session, settings=HonoursSettings(), today=TODAY + dt.timedelta(days=1),
                              as_of=TODAY)
    assert fast == [(row.donor_id, row.tier) for row in slow]
    assert len(fast) == 5


def test_deferrals_never_count_and_counted_types_are_configurable(session, now, rules):
    who = donor(session, now)
    give(session, now, rules, who, 4)
    give(session, now, rules, who, 3, start=dt.date(2010, 1, 1), outcome=Outcome.deferred, deferral_reason="x")
    assert listed(session) == []
    give(session, now, rules, who, 1, start=dt.date(2012, 1, 1), type=DonationType.plasma_apheresis)
    assert listed(session) == [(who.id, 5)]
    whole_blood_only = HonoursSettings(counted_types=[DonationType.whole_blood])
    assert listed(session, whole_blood_only) == []


def test_skipped_tiers_highest_only_or_every_missed(session, now, rules):
    legacy = donor(session, now)
    give(session, now, rules, legacy, 12)
    assert listed(session) == [(legacy.id, 10)]
    every = HonoursSettings(list_every_missed_tier=True)
    assert listed(session, every) == [(legacy.id, 5), (legacy.id, 10)]
    awards = award_all(session, now, ceremony(session, now), every)
    assert sorted(a.tier for a in awards) == [5, 10]
    assert listed(session, every) == []


def test_never_listed_twice_after_an_award_until_the_next_tier(session, now, rules):
    who = donor(session, now)
    give(session, now, rules, who, 6)
    held = ceremony(session, now)
    awards = award_all(session, now, held)
    assert [(a.donor_id, a.tier, a.donation_count, a.awarded_on) for a in awards] == [
        (who.id, 5, 6, dt.date(2026, 6, 14))]
    assert listed(session) == []
    assert award_all(session, now, ceremony(session, now, "Lần hai")) == []
    give(session, now, rules, who, 4, start=dt.date(2010, 1, 1))
    assert listed(session) == [(who.id, 10)]


def test_revoke_lists_the_donor_again_and_keeps_the_reason(session, now, rules):
    who = donor(session, now)
    give(session, now, rules, who, 5)
    award_all(session, now, ceremony(session, now))
    [revoked] = service.revoke(session=session, donor_id=who.id, tier=5, reason="ghi nhầm", now=now)
    assert revoked.revoked_reason == "ghi nhầm" and revoked.revoked_at == now
    assert listed(session) == [(who.id, 5)]
    with pytest.raises(NotFound):
        service.revoke(session=session, donor_id=who.id, tier=5, reason="again", now=now)
    with pytest.raises(UserError, match="reason"):
        service.revoke(session=session, donor_id=who.id, tier=5, reason=" ", now=now)
    [again] = award_all(session, now, ceremony(session, now, "Bổ sung"))
    assert again.tier == 5
    assert session.scalar(select(func.count()).select_from(HonourAward)) == 2


def test_named_donors_must_be_candidates(session, now, rules):
    due, not_due = donor(session, now, "Lê Văn Đủ"), donor(session, now, "Lê Văn Chưa")
    give(session, now, rules, due, 5)
    give(session, now, rules, not_due, 4)
    held = ceremony(session, now)
    with pytest.raises(UserError, match=f"#{not_due.id} Lê Văn Chưa has no tier left to award"):
        award_all(session, now, held, donor_ids=[due.id, not_due.id])
    assert [a.donor_id for a in award_all(session, now, held, donor_ids=[due.id])] == [due.id]


def test_a_ceremony_with_an_old_district_awards_only_its_district(session, now, rules):
    here = donor(session, now, "Trần Thị Hà", district="Huyện Đan Phượng")
    there = donor(session, now, "Trần Thị Hạ", district="Huyện Hoài Đức")
    for who in (here, there):
        give(session, now, rules, who, 5)
    held = ceremony(session, now, level=HonourLevel.commune, district="huyện đan phượng")
    assert [a.donor_id for a in award_all(session, now, held)] == [here.id]
    assert listed(session, district="Huyện Hoài Đức") == [(there.id, 5)]


def test_new_ceremonies_are_never_held_by_a_district(session, now):
    with use_language("en"), pytest.raises(UserError, match="districts were abolished on 2025-07-01"):
        ceremony(session, now, level=HonourLevel.district)


def test_a_chapter_ceremony_awards_its_chapter_and_below(session, now, rules):
    vn = chapters.create_chapter(session=session, now=now, kind="national")
    can_tho = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn.id, province_code="92")
    ward = chapters.create_chapter(session=session, now=now, kind="commune", parent_id=can_tho.id, commune_code="31507")
    lao_cai = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn.id, province_code="15")
    in_ward = donor(session, now, "Lâm Thị Mai", commune="Phường Sóc Trăng", province="TP Cần Thơ")
    in_province = donor(session, now, "Lâm Văn Tư", commune="Phường Ninh Kiều", province="TP Cần Thơ")
    elsewhere = donor(session, now, "Hà Thị Lan", commune="Phường Yên Bái", province="Lào Cai")
    unplaced = donor(session, now, "Đỗ Văn Ba")
    assert [d.chapter_id for d in (in_ward, in_province, elsewhere, unplaced)] == [ward.id, can_tho.id, lao_cai.id, None]
    for who in (in_ward, in_province, elsewhere, unplaced):
        give(session, now, rules, who, 5)
    assert listed(session, chapter=ward) == [(in_ward.id, 5)]
    assert listed(session, chapter=can_tho) == [(in_ward.id, 5), (in_province.id, 5)]
    assert len(listed(session, chapter=vn)) == 4  # the national chapter honours everyone
    held = ceremony(session, now, level=HonourLevel.province, chapter_id=can_tho.id)
    assert sorted(a.donor_id for a in award_all(session, now, held)) == [in_ward.id, in_province.id]
    assert listed(session) == [(elsewhere.id, 5), (unplaced.id, 5)]


def test_as_of_counts_donations_up_to_that_day(session, now, rules):
    who = donor(session, now)
    give(session, now, rules, who, 5, start=dt.date(2026, 1, 5), every_days=21)  # 5th on 2026-03-30
    assert listed(session, as_of=dt.date(2026, 3, 29)) == []
    assert listed(session, as_of=dt.date(2026, 3, 30)) == [(who.id, 5)]
    with pytest.raises(UserError, match="future"):
        listed(session, as_of=TODAY + dt.timedelta(days=1))


def test_as_of_in_a_chapter_counts_its_own_donors_up_to_that_day(session, now, rules):
    """A chapter's (or district's, or named donors') count as of a day reads only its donors'
    donations: the same rows as the whole country's list keeps for them, written out by hand."""
    vn = chapters.create_chapter(session=session, now=now, kind="national")
    can_tho = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn.id, province_code="92")
    ward = chapters.create_chapter(session=session, now=now, kind="commune", parent_id=can_tho.id, commune_code="31507")
    chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn.id, province_code="15")
    in_ward = donor(session, now, "Lâm Thị Mai", commune="Phường Sóc Trăng", province="TP Cần Thơ")
    in_province = donor(session, now, "Lâm Văn Tư", commune="Phường Ninh Kiều", province="TP Cần Thơ",
                        district="Quận Ninh Kiều")
    deferred = donor(session, now, "Lâm Văn Năm", commune="Phường Ninh Kiều", province="TP Cần Thơ")
    elsewhere = donor(session, now, "Hà Thị Lan", commune="Phường Yên Bái", province="Lào Cai")
    give(session, now, rules, in_ward, 5, start=dt.date(2025, 12, 1))  # the 5th on 2025-12-29
    give(session, now, rules, in_province, 12, start=dt.date(2025, 1, 6))  # the 10th on 2025-03-10
    give(session, now, rules, deferred, 4, start=dt.date(2024, 1, 1))
    give(session, now, rules, deferred, 1, start=dt.date(2024, 6, 1), outcome=Outcome.deferred, deferral_reason="x")
    give(session, now, rules, elsewhere, 7, start=dt.date(2020, 1, 6))
    held = ceremony(session, now, "Tôn vinh 2024")
    session.add(HonourAward(donor_id=in_province.id, tier=5, ceremony_id=held.id, donation_count=5,
                            awarded_on=dt.date(2025, 2, 10), created_at=now))
    session.flush()
    country = [(in_ward.id, 5), (in_province.id, 10), (elsewhere.id, 5)]
    expected = [  # (as of, chapter, candidates)
        (dt.date(2025, 12, 31), can_tho, [(in_ward.id, 5), (in_province.id, 10)]),
        (dt.date(2025, 12, 28), can_tho, [(in_province.id, 10)]),
        (dt.date(2025, 3, 10), can_tho, [(in_province.id, 10)]),
        (dt.date(2025, 3, 9), can_tho, []),
        (dt.date(2025, 12, 31), ward, [(in_ward.id, 5)]),
        (dt.date(2025, 12, 31), vn, country),
    ]
    for day, chapter, want in expected:
        assert listed(session, as_of=day, chapter=chapter) == want, (day, chapter.code)
    assert listed(session, as_of=dt.date(2025, 12, 31)) == country
    assert listed(session, as_of=dt.date(2025, 12, 31), district="quận ninh kiều") == [(in_province.id, 10)]
    assert listed(session, as_of=dt.date(2025, 12, 31), donor_ids=[in_ward.id, elsewhere.id]) == [
        (in_ward.id, 5), (elsewhere.id, 5)]
    whole_blood_only = HonoursSettings(counted_types=[DonationType.whole_blood])
    assert listed(session, whole_blood_only, as_of=dt.date(2025, 12, 31), chapter=can_tho) == [
        (in_ward.id, 5), (in_province.id, 10)]


def test_merged_duplicates_keep_their_awards_without_double_listing(session, now, rules):
    keep, dup = donor(session, now, "Phan Văn Hùng"), donor(session, now, "Phan Van Hung")
    give(session, now, rules, keep, 5)
    give(session, now, rules, dup, 6, start=dt.date(2015, 1, 1))
    held = ceremony(session, now)
    assert len(award_all(session, now, held)) == 2  # both records honoured at 5, same ceremony
    merge = merge_donors(session=session, keep_id=keep.id, duplicate_id=dup.id, rules=rules, now=now, command="t")
    assert merge.moved["honour_awards.donor_id"] == 1
    # 11 donations now: tier 10 is new; tier 5 is held (twice, by history), listed once.
    assert listed(session) == [(keep.id, 10)]
    assert listed(session, HonoursSettings(list_every_missed_tier=True)) == [(keep.id, 10)]
    assert [(a.donor_id, a.tier) for a, _ in service.ceremony_awards(session=session, ceremony_id=held.id)] == [
        (keep.id, 5)]
    award_all(session, now, ceremony(session, now, "Sau gộp"))
    assert listed(session) == []


def test_dead_or_merged_donors_are_not_candidates(session, now, rules):
    alive, dead = donor(session, now, "Người Sống"), donor(session, now, "Người Mất")
    for who in (alive, dead):
        give(session, now, rules, who, 5)
    dead.deceased_on = dt.date(2026, 1, 1)
    session.add(dead)
    session.flush()
    assert listed(session) == [(alive.id, 5)]
    assert listed(session, as_of=dt.date(2025, 12, 31)) == [(alive.id, 5), (dead.id, 5)]


def test_ceremonies_have_unique_names_and_are_found_by_number_or_name(session, now):
    held = ceremony(session, now, "Tôn  vinh 14/6")
    assert service.get_ceremony(session=session, ref=str(held.id)).id == held.id
    assert service.get_ceremony(session=session, ref="Tôn vinh 14/6").id == held.id
    with pytest.raises(UserError, match="already exists"):
        ceremony(session, now, "Tôn vinh 14/6")
    with pytest.raises(NotFound):
        service.get_ceremony(session=session, ref="999")
    assert [(c.id, n) for c, n in service.list_ceremonies(session=session)] == [(held.id, 0)]


@pytest.mark.parametrize("every_missed", [False, True])
def test_the_query_agrees_with_the_pure_rule(session, now, rules, every_missed):
    settings = HonoursSettings(list_every_missed_tier=every_missed)
    held = ceremony(session, now)
    expected = []
    for count, awarded in [(4, []), (6, [5]), (12, []), (12, [5]), (12, [10]), (16, [5]), (22, [20]), (31, [5, 30])]:
        who = donor(session, now, f"Người {count} {awarded}")
        give(session, now, rules, who, count)
        for tier in awarded:
            session.add(HonourAward(donor_id=who.id, tier=tier, ceremony_id=held.id, donation_count=count,
                                    awarded_on=held.held_on, created_at=now))
        expected += [(who.id, tier) for tier in tiers_to_award(count, awarded, settings.tiers,
                                                               every_missed=every_missed)]
    session.flush()
    assert listed(session, settings) == expected
    as_of_path = service.candidates(session=session, settings=settings, today=TODAY + dt.timedelta(days=1),
                                    as_of=TODAY)
    assert [(row.donor_id, row.tier) for row in as_of_path] == expected
