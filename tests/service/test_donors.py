"""Registering, finding, listing and updating donors on a real database (SQLite and PostgreSQL)."""

import datetime as dt

import pytest

from donor_registry.donations.models import DonationCreate, Outcome
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import DonorCreate, DonorUpdate
from donor_registry.donors.service import (
    DonorFilters,
    count_donors,
    create_donor,
    find_donors,
    get_donor,
    list_donors,
    update_donor,
)
from donor_registry.errors import Conflict, NotFound, UserError
from donor_registry.types import ABO, DonationType, Rh, Sex

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids


def add(session, now, name, **fields):
    return create_donor(session=session, data=DonorCreate(full_name=name, **fields), now=now)


def test_registration_normalises_name_phone_and_area(session, now):
    donor = add(session, now, "NGUYỄN THỊ HOÀ", phone_e164="0168 123 4567", commune="  Tân  Lập ",
                national_id="001 190 012 345", date_of_birth=dt.date(1990, 3, 15))
    assert donor.full_name == "Nguyễn Thị Hòa"
    assert donor.name_folded == "nguyen thi hoa"
    assert donor.phone_e164 == "+84381234567"
    assert donor.phone_sms_capable is True
    assert donor.national_id == "001190012345"
    assert donor.commune == "Tân Lập" and donor.commune_key == "tan lap"
    assert donor.birth_year == 1990


def test_same_name_in_nfd_and_new_tone_placement_is_stored_identically(session, now):
    import unicodedata
    first = add(session, now, unicodedata.normalize("NFD", "Lê Thị Thuý"))
    second = add(session, now, "Lê Thị Thúy")
    assert first.full_name == second.full_name
    assert unicodedata.is_normalized("NFC", first.full_name)


def test_a_known_national_id_is_refused_naming_the_holder(session, now):
    holder = add(session, now, "Trần Văn Bình", national_id="001190012345")
    with pytest.raises(Conflict, match=f"#{holder.id}.*Trần Văn Bình"):
        add(session, now, "Trần Bình", national_id="001190012345")


@pytest.mark.parametrize("fields, message", [
    ({"national_id": "12345"}, "12 digits"),
    ({"phone_e164": "12ab"}, "not a valid phone"),
    ({"date_of_birth": dt.date(2030, 1, 1)}, "future"),
    ({"birth_year": 1850}, "1900"),
])
def test_bad_fields_are_refused_with_a_plain_reason(session, now, fields, message):
    with pytest.raises(UserError, match=message):
        add(session, now, "Phạm Văn Cường", **fields)


def test_find_by_name_without_diacritics_in_any_word_order(session, now):
    hoang = add(session, now, "Nguyễn Văn Hoàng")
    hoa = add(session, now, "Nguyễn Thị Hoà")
    tran = add(session, now, "Trần Thị Hoa")
    # Words match as prefixes (as you type); whole-word matches come first.
    assert [d.id for d in find_donors(session=session, query="hoa nguyen")] == [hoa.id, hoang.id]
    assert [d.id for d in find_donors(session=session, query="Hòa")][2:] == [hoang.id]
    assert {d.id for d in find_donors(session=session, query="thi hoa")} == {hoa.id, tran.id}
    assert len(find_donors(session=session, query="ngu")) == 2
    assert find_donors(session=session, query="nguyen xuan") == []


def test_find_by_phone_in_any_format_and_by_national_id(session, now):
    donor = add(session, now, "Đỗ Minh Đức", phone_e164="0912345678", national_id="079201001234")
    for query in ("0912 345 678", "+84 912.345.678", "84912345678", "079201001234"):
        assert [d.id for d in find_donors(session=session, query=query)] == [donor.id], query
    with pytest.raises(UserError):
        find_donors(session=session, query="   ")


def test_list_filters_by_group_area_standby_and_eligibility(session, now, rules):
    today = now.date()
    a = add(session, now, "Lý Văn An", abo=ABO.O, rh=Rh.positive, district="Đan Phượng", standby=True,
            date_of_birth=dt.date(1990, 1, 1), sex=Sex.male, weight_kg=60)
    b = add(session, now, "Hồ Thị Bé", abo=ABO.O, rh=Rh.negative, district="dan phuong",
            date_of_birth=dt.date(1995, 1, 1), sex=Sex.female, weight_kg=50)
    add(session, now, "Vũ Văn Cao", abo=ABO.A, rh=Rh.positive, district="Hoài Đức")
    record_donation(session=session, donor_id=b.id, rules=rules, now=now,
                    data=DonationCreate(donated_on=today - dt.timedelta(days=30)))
    session.flush()

    def ids(**filters):
        return [d.id for d in list_donors(session=session, filters=DonorFilters(**filters), rules=rules)]

    assert set(ids(district="ĐAN PHƯỢNG")) == {a.id, b.id}
    assert ids(abo=ABO.O, rh=Rh.negative) == [b.id]
    assert ids(standby=True) == [a.id]
    assert a.id in ids(eligible_on=today) and b.id not in ids(eligible_on=today)
    assert b.id in ids(eligible_on=today + dt.timedelta(days=54))
    assert count_donors(session=session, filters=DonorFilters(district="Đan Phượng"), rules=rules) == 2


def test_update_changes_only_given_fields_and_rechecks_national_id(session, now):
    donor = add(session, now, "Bùi Thị Lan", phone_e164="0987654321", national_id="001190000001")
    other = add(session, now, "Bùi Văn Nam", national_id="001190000002")
    updated = update_donor(session=session, donor_id=donor.id, changes=DonorUpdate(commune="Phường Láng"), now=now)
    assert updated.phone_e164 == "+84987654321" and updated.commune_key == "phuong lang"
    with pytest.raises(Conflict, match=f"#{other.id}"):
        update_donor(session=session, donor_id=donor.id, changes=DonorUpdate(national_id="001190000002"), now=now)


def test_counts_are_right_after_every_write(session, now, rules):
    donor = add(session, now, "Mai Thị Hương")
    dates = [dt.date(2025, 1, 5), dt.date(2025, 4, 10), dt.date(2025, 9, 1)]
    for day in dates:
        record_donation(session=session, donor_id=donor.id, rules=rules, now=now, data=DonationCreate(donated_on=day))
        assert get_donor(session=session, donor_id=donor.id).donation_count == dates.index(day) + 1
    record_donation(session=session, donor_id=donor.id, rules=rules, now=now, data=DonationCreate(
        donated_on=dt.date(2026, 1, 5), outcome=Outcome.deferred, deferral_reason="Hb thấp",
        deferral_until=dt.date(2026, 2, 5)))
    record_donation(session=session, donor_id=donor.id, rules=rules, now=now,
                    data=DonationCreate(donated_on=dt.date(2026, 3, 1), type=DonationType.plasma_apheresis))
    donor = get_donor(session=session, donor_id=donor.id)
    assert donor.donation_count == 4  # the deferral does not count
    assert donor.last_donation_type == DonationType.plasma_apheresis
    assert donor.eligible_again_on == dt.date(2026, 3, 15)
    assert donor.deferred_until == dt.date(2026, 2, 5)


def test_recording_for_an_unknown_donor_or_in_the_future_is_refused(session, now, rules):
    with pytest.raises(NotFound):
        record_donation(session=session, donor_id=999, rules=rules, now=now, data=DonationCreate(donated_on=now.date()))
    donor = add(session, now, "Tạ Văn Sơn")
    with pytest.raises(UserError, match="future"):
        record_donation(session=session, donor_id=donor.id, rules=rules, now=now,
                        data=DonationCreate(donated_on=now.date() + dt.timedelta(days=1)))


def test_a_name_typed_in_order_comes_first_and_other_orders_fill_the_page(session, now):
    in_order = [add(session, now, name).id for name in ("Nguyễn Thị Hoa", "Nguyễn Thị Hoài", "Nguyễn Thị Hoà")]
    other_order = add(session, now, "Hoa Nguyễn Thị").id
    first_two = find_donors(session=session, query="nguyen thi hoa", limit=2)
    assert {d.id for d in first_two} <= set(in_order) and len(first_two) == 2
    page = [d.id for d in find_donors(session=session, query="Nguyễn Thị Hoa", limit=10)]
    assert set(page[:3]) == set(in_order) and page[3:] == [other_order]
