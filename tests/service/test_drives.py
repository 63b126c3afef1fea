"""Drives: conflicts, rescheduling, cancelling, closing with results, and donations tied to a drive."""

import datetime as dt

import pytest

from donor_registry.campaigns import drives
from donor_registry.campaigns.calendar import tet_date
from donor_registry.campaigns.models import CampaignCreate, DriveCreate, DriveStatus
from donor_registry.campaigns.service import add_campaign, campaign_totals
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.donations.models import DonationCreate, Outcome
from donor_registry.donations.service import record_donation
from donor_registry.donors.models import DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.errors import NotFound, UserError

pytestmark = pytest.mark.usefixtures("english")

D = dt.date
SETTINGS = CampaignSettings(max_drives_per_day=2)


DAY = D(2026, 6, 20)


def _drive(session, now, day=DAY, venue="Nhà văn hóa xã Tân Lập", **extra):
    data = DriveCreate(date=day, start_time=dt.time(7), end_time=dt.time(11, 30), venue=venue, **extra)
    return drives.add_drive(session=session, settings=SETTINGS, data=data, now=now)


def _kinds(warnings):
    return sorted(w.kind for w in warnings)


def test_a_quiet_day_has_no_warnings_and_keys_are_folded(session, now):
    drive, warnings = _drive(session, now, commune="Xã  Ô Diên", province="Hà Nội")
    session.commit()
    assert warnings == []
    assert (drive.commune, drive.commune_key, drive.province_key) == ("Xã Ô Diên", "xa o dien", "ha noi")
    assert (drive.province_code, drive.commune_code) == ("01", "09817")
    assert drive.status == DriveStatus.planned and drive.sequence == 0


def test_a_split_old_commune_is_kept_as_entered_with_a_warning_naming_the_new_ones(session, now):
    drive, warnings = _drive(session, now, commune="Xã Tân Lập", district="Huyện Đan Phượng", province="Hà Nội")
    assert [w.kind for w in warnings] == ["place_unresolved"]
    assert "Xã Ô Diên (09817); Xã Hoài Đức (09832)" in warnings[0].message
    assert (drive.commune_key, drive.province_code, drive.commune_code) == ("xa tan lap", None, None)


def test_same_venue_twice_on_one_day_is_flagged_whatever_the_accents(session, now):
    first, _ = _drive(session, now)
    _, warnings = _drive(session, now, venue="nha van hoa xa TAN LAP")
    assert _kinds(warnings) == ["same_venue"]
    assert f"#{first.id}" in warnings[0].message
    _, other_day = _drive(session, now, day=D(2026, 6, 21))
    assert other_day == []


def test_more_drives_than_staff_on_one_day(session, now):
    _drive(session, now, venue="A")
    _, second = _drive(session, now, venue="B")
    assert second == []
    third, warnings = _drive(session, now, venue="C")
    assert _kinds(warnings) == ["too_many_drives"]
    assert "3 drives on 20/06/2026" in warnings[0].message
    drives.cancel_drive(session=session, drive_id=third.id, now=now)
    _, fourth = _drive(session, now, venue="D")  # the cancelled one no longer counts
    assert [w.message.split(",")[0] for w in fourth] == ["3 drives on 20/06/2026"]


def test_drive_in_the_tet_holiday(session, now):
    tet = tet_date(2027)
    _, warnings = _drive(session, now, day=tet + dt.timedelta(days=1))
    assert _kinds(warnings) == ["tet_holiday"]
    _, after = _drive(session, now, day=tet + dt.timedelta(days=5))
    assert after == []
    _, before = _drive(session, now, day=tet - dt.timedelta(days=2))
    assert _kinds(before) == ["tet_holiday"]


def test_drive_outside_its_campaign_dates(session, now):
    campaign = add_campaign(session=session, now=now, data=CampaignCreate(
        name="Hè", year=2026, start=D(2026, 6, 1), end=D(2026, 6, 30)))
    _, inside = _drive(session, now, campaign_id=campaign.id)
    _, outside = _drive(session, now, day=D(2026, 7, 2), campaign_id=campaign.id)
    assert inside == [] and _kinds(outside) == ["outside_campaign"]


def test_bad_times_and_unknown_campaign_are_refused(session, now):
    with pytest.raises(UserError, match="ends"):
        drives.add_drive(session=session, settings=SETTINGS, now=now, data=DriveCreate(
            date=D(2026, 6, 20), start_time=dt.time(11), end_time=dt.time(7), venue="A"))
    with pytest.raises(NotFound, match="no campaign #99"):
        _drive(session, now, campaign_id=99)


def test_reschedule_bumps_sequence_and_rechecks_conflicts(session, now):
    _drive(session, now, day=D(2026, 6, 21), venue="Trường THPT Đan Phượng")
    drive, _ = _drive(session, now)
    later = now + dt.timedelta(hours=1)
    moved, warnings = drives.reschedule_drive(
        session=session, settings=SETTINGS, drive_id=drive.id, now=later, date=D(2026, 6, 21),
        start_time=dt.time(7, 30), venue="Trường THPT Đan Phượng")
    session.commit()
    assert (moved.date, moved.start_time, moved.end_time) == (D(2026, 6, 21), dt.time(7, 30), dt.time(11, 30))
    assert moved.sequence == 1 and moved.updated_at == later
    assert _kinds(warnings) == ["same_venue"]
    with pytest.raises(UserError, match="ends"):
        drives.reschedule_drive(session=session, settings=SETTINGS, drive_id=drive.id, now=now,
                                end_time=dt.time(7))


def test_cancelled_drive_cannot_be_rescheduled_or_closed(session, now):
    drive, _ = _drive(session, now, day=D(2026, 5, 30))
    drives.cancel_drive(session=session, drive_id=drive.id, now=now)
    assert drive.sequence == 1
    with pytest.raises(UserError, match="only a planned drive can be rescheduled"):
        drives.reschedule_drive(session=session, settings=SETTINGS, drive_id=drive.id, now=now, date=D(2026, 6, 1))
    with pytest.raises(UserError, match="was cancelled"):
        drives.close_drive(session=session, drive_id=drive.id, today=D(2026, 6, 1), now=now)


def _donor(session, now, i):
    return create_donor(session=session, now=now, data=DonorCreate(
        full_name=f"Nguyễn Văn {i}", birth_year=1990, sex="male", weight_kg=60))


def test_close_counts_recorded_donations_unless_told_otherwise(session, now, rules):
    campaign = add_campaign(session=session, now=now, data=CampaignCreate(
        name="Hè", year=2026, start=D(2026, 5, 1), end=D(2026, 8, 31), target_units=10))
    drive, _ = _drive(session, now, day=D(2026, 5, 30), campaign_id=campaign.id, capacity=50)
    donors = [_donor(session, now, i) for i in range(4)]
    for donor in donors[:3]:
        record_donation(session=session, donor_id=donor.id, rules=rules, now=now,
                        data=DonationCreate(donated_on=drive.date, drive_id=drive.id))
    record_donation(session=session, donor_id=donors[3].id, rules=rules, now=now, data=DonationCreate(
        donated_on=drive.date, drive_id=drive.id, outcome=Outcome.deferred, deferral_reason="huyết áp cao"))

    closed = drives.close_drive(session=session, drive_id=drive.id, today=D(2026, 6, 1), now=now)
    assert (closed.registered, closed.donated, closed.deferred, closed.units) == (4, 3, 1, 3)
    assert closed.status == DriveStatus.closed
    again = drives.close_drive(session=session, drive_id=drive.id, today=D(2026, 6, 1), now=now,
                               registered=40, donated=35, units=35)
    session.commit()
    assert (again.registered, again.donated, again.deferred, again.units) == (40, 35, 1, 35)
    totals = campaign_totals(session=session, campaign_id=campaign.id)
    assert (totals.drives, totals.drives_closed, totals.units, totals.capacity) == (1, 1, 35, 50)


def test_close_refuses_future_drives_and_impossible_numbers(session, now):
    drive, _ = _drive(session, now, day=D(2026, 6, 20))
    with pytest.raises(UserError, match="still to come"):
        drives.close_drive(session=session, drive_id=drive.id, today=D(2026, 6, 1), now=now)
    with pytest.raises(UserError, match="more than the 5 registered"):
        drives.close_drive(session=session, drive_id=drive.id, today=D(2026, 6, 20), now=now,
                           registered=5, donated=5, deferred=1)
    with pytest.raises(UserError, match="negative"):
        drives.close_drive(session=session, drive_id=drive.id, today=D(2026, 6, 20), now=now, units=-1)


def test_donation_against_a_drive_is_checked(session, now):
    drive, _ = _drive(session, now, day=D(2026, 5, 30))
    assert drives.check_donation_drive(session=session, drive_id=drive.id, donated_on=D(2026, 5, 30)) == []
    [warning] = drives.check_donation_drive(session=session, drive_id=drive.id, donated_on=D(2026, 5, 31))
    assert "was on 30/05/2026, not 31/05/2026" in warning
    with pytest.raises(NotFound, match="no drive #999"):
        drives.check_donation_drive(session=session, drive_id=999, donated_on=D(2026, 5, 30))
    drives.cancel_drive(session=session, drive_id=drive.id, now=now)
    with pytest.raises(UserError, match="was cancelled"):
        drives.check_donation_drive(session=session, drive_id=drive.id, donated_on=D(2026, 5, 30))


def test_list_filters(session, now):
    campaign = add_campaign(session=session, now=now, data=CampaignCreate(
        name="Hè", year=2026, start=D(2026, 6, 1), end=D(2026, 8, 31)))
    a, _ = _drive(session, now, day=D(2026, 7, 1), campaign_id=campaign.id, commune="Xã Tân Lập")
    b, _ = _drive(session, now, day=D(2026, 6, 15), district="Quận Ba Đình")
    c, _ = _drive(session, now, day=D(2026, 8, 1), campaign_id=campaign.id)
    drives.cancel_drive(session=session, drive_id=c.id, now=now)
    ids = lambda **kw: [d.id for d in drives.list_drives(session=session, **kw)]
    assert ids() == [b.id, a.id, c.id]
    assert ids(campaign_id=campaign.id) == [a.id, c.id]
    assert ids(since=D(2026, 6, 20), until=D(2026, 7, 31)) == [a.id]
    assert ids(status=DriveStatus.cancelled) == [c.id]
    assert ids(area="xa tan lap") == [a.id] and ids(area="quận ba đình") == [b.id]
