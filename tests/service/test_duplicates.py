"""Duplicate detection and merging: a merge never loses a donation."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from donor_registry.donations.models import Donation, DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.donors.duplicates import find_duplicates, merge_donors
from donor_registry.donors.models import DonorCreate, DonorMerge
from donor_registry.donors.service import create_donor, find_donors, get_donor
from donor_registry.donors.settings import DuplicateSettings
from donor_registry.errors import NotFound, UserError

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids


def add(session, now, name, **fields):
    return create_donor(session=session, data=DonorCreate(full_name=name, **fields), now=now)


def pairs(session, **settings):
    return {
        (p.first.id, p.second.id): p.reasons
        for p in find_duplicates(session=session, settings=DuplicateSettings(**settings))
    }


def test_same_phone_written_differently_is_a_pair(session, now):
    a = add(session, now, "Nguyễn Thị Hoà", phone_e164="0168 123 4567")
    b = add(session, now, "Nguyen Hoa", phone_e164="+84 381 234 567")
    add(session, now, "Lê Văn Tám", phone_e164="0912000111")
    found = pairs(session)
    assert list(found) == [(a.id, b.id)]
    assert "same phone" in found[(a.id, b.id)][0]


def test_same_folded_name_birth_and_commune_is_a_pair(session, now):
    a = add(session, now, "Trần Thị Thuý", birth_year=1992, commune="Tân Lập")
    b = add(session, now, "TRAN THI THUY", date_of_birth=dt.date(1992, 5, 1), commune="tân lập")
    add(session, now, "Trần Thị Thúy", birth_year=1993, commune="Tân Lập")  # another year
    add(session, now, "Trần Thị Thúy", birth_year=1992, commune="Hạ Mỗ")  # another commune
    c = add(session, now, "Trần Thị Thúy", date_of_birth=dt.date(1992, 7, 7), commune="Tân Lập")
    found = pairs(session)
    assert (a.id, b.id) in found and (a.id, c.id) in found
    assert (b.id, c.id) not in found  # both have full dates, and they differ
    assert pairs(session, match_name_birth_commune=False) == {}


def test_merge_moves_every_donation_fills_gaps_and_keeps_a_tombstone(session, now, rules):
    keep = add(session, now, "Phan Văn Hùng", phone_e164="0912345678")
    dup = add(session, now, "Phan Van Hung", national_id="001085000123", abo=None,
              date_of_birth=dt.date(1985, 2, 2))
    for day in (dt.date(2024, 1, 1), dt.date(2024, 6, 1)):
        record_donation(session=session, donor_id=keep.id, rules=rules, now=now, data=DonationCreate(donated_on=day))
    for day in (dt.date(2025, 1, 1), dt.date(2025, 6, 1), dt.date(2025, 11, 1)):
        record_donation(session=session, donor_id=dup.id, rules=rules, now=now, data=DonationCreate(donated_on=day))
    merge = merge_donors(session=session, keep_id=keep.id, duplicate_id=dup.id, rules=rules, now=now,
                         command="test")
    session.commit()
    kept = get_donor(session=session, donor_id=keep.id)
    assert kept.donation_count == 5
    assert kept.national_id == "001085000123" and kept.date_of_birth == dt.date(1985, 2, 2)
    assert kept.last_donation_on == dt.date(2025, 11, 1)
    assert session.scalar(select(func.count()).select_from(Donation).where(Donation.donor_id == dup.id)) == 0
    assert merge.moved == {"donations.donor_id": 3}
    assert merge.snapshot["national_id"] == "001085000123"
    with pytest.raises(NotFound, match=f"merged into donor #{keep.id}"):
        get_donor(session=session, donor_id=dup.id)
    assert [d.id for d in find_donors(session=session, query="phan van hung")] == [keep.id]
    assert session.scalar(select(func.count()).select_from(DonorMerge)) == 1


def test_merge_refuses_self_and_already_merged(session, now, rules):
    a = add(session, now, "Hà Văn Một")
    b = add(session, now, "Hà Văn Một")
    with pytest.raises(UserError):
        merge_donors(session=session, keep_id=a.id, duplicate_id=a.id, rules=rules, now=now, command="t")
    merge_donors(session=session, keep_id=a.id, duplicate_id=b.id, rules=rules, now=now, command="t")
    with pytest.raises(NotFound):
        merge_donors(session=session, keep_id=b.id, duplicate_id=a.id, rules=rules, now=now, command="t")
