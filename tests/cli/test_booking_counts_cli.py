"""`drives bookings` counts by slot (booked, checked in, donated, deferred, no-show) and `drives show`
with the turnout forecast of a drive with bookings (clock pinned to 2026-06-01 10:00 in Vietnam)."""

import datetime as dt

from donor_registry.campaigns.models import Drive
from donor_registry.db import make_engine, session_scope
from donor_registry.donations.models import DonationCreate, Outcome
from donor_registry.eligibility import EligibilityRules
from donor_registry.slots import check_in, outcome
from donor_registry.slots import service as slots

EARLIER = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_the_counts_by_slot_and_the_forecast(cli, sqlite_url, monkeypatch):
    added = cli("drives", "add", "--date", "01/06/2026", "--venue", "Nhà văn hóa xã Tân Lập", "--start", "07:00",
                "--end", "11:00", "--capacity", "8", "--slot-minutes", "120", "--json").json()
    donors = [cli("donors", "add", name, "--born", "1990-03-04", "--sex", "male", "--json").json()["id"]
              for name in ("Lê Văn An", "Lê Văn Bình", "Lê Văn Cường", "Lê Văn Dũng")]
    first, second = (s["id"] for s in added["slots"])
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        booked = [slots.book(session=session, donor_id=donor, slot_id=slot, now=EARLIER)
                  for donor, slot in zip(donors, (first, first, first, second), strict=True)]
        drive = session.get(Drive, added["id"])
        for booking in booked[:2]:
            check_in.check_in(session=session, drive=drive, typed=booking.check_in_code, now=NOW, actor="t")
        outcome.record_outcome(session=session, drive=drive, booking_id=booked[1].id, rules=EligibilityRules(),
                               data=DonationCreate(donated_on=dt.date(2026, 6, 1), outcome=Outcome.deferred,
                                                   deferral_reason="mệt"), now=NOW, actor="t")
    engine.dispose()
    # 07:00–09:00 is over at 10:00: An checked in, Bình checked in and deferred, Cường a no-show;
    # 09:00–11:00: Dũng booked, not over yet
    counted = cli("drives", "bookings", added["id"], "--counts", "--json").json()
    assert [(s["start"], s["booked"], s["checked_in"], s["donated"], s["deferred"], s["no_show"])
            for s in counted["slots"]] == [("07:00", 3, 2, 0, 1, 1), ("09:00", 1, 0, 0, 0, 0)]
    assert counted["total"] == {"booked": 4, "checked_in": 2, "donated": 0, "deferred": 1, "no_show": 1}
    assert len(cli("drives", "bookings", added["id"], "--json").json()) == 4  # the bookings, as before
    monkeypatch.setenv("DONOR_REGISTRY_LANG", "en")
    table = _flat(cli("drives", "bookings", added["id"]).stdout)
    assert "07:00–09:00 4 3 2 0 1 1" in table and "total 8 4 2 0 1 1" in table and "Lê Văn Dũng" in table
    shown = cli("drives", "show", added["id"], "--json").json()["expected_turnout"]
    # no finished drive of the chapter: 4 booked × 0.8 = 3.2 → 3, no walk-ins
    assert (shown["booked"], shown["show_rate"], shown["expected_walk_ins"], shown["total"],
            shown["show_rate_drives"]) == (4, 0.8, 0, 3, 0)
    assert "3 donors: 4 booked × 80% show rate + 0 walk-ins" in _flat(cli("drives", "show", added["id"]).stdout)


def test_drives_outcome_records_a_bookings_outcome_by_its_code_once(cli, sqlite_url):
    added = cli("drives", "add", "--date", "01/06/2026", "--venue", "Trường THPT", "--start", "07:00",
                "--end", "11:00", "--capacity", "4", "--slot-minutes", "240", "--json").json()
    donors = [cli("donors", "add", name, "--born", "1990-03-04", "--sex", "male", "--weight", "60", "--json").json()["id"]
              for name in ("Lê Văn An", "Lê Văn Bình")]
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        codes = [slots.book(session=session, donor_id=donor, slot_id=added["slots"][0]["id"], now=EARLIER).check_in_code
                 for donor in donors]
    engine.dispose()
    given = cli("drives", "outcome", added["id"], codes[0].lower(), "--volume", "350", "--json").json()
    assert (given["donor_id"], given["outcome"], given["text"]) == (donors[0], "donated", "donated: whole blood, 350 ml")
    again = cli("drives", "outcome", added["id"], codes[0], "--deferred", "--deferral-reason", "mệt")
    assert again.exit_code == 1 and "An outcome is already recorded for this booking." in again.stderr
    no_reason = cli("drives", "outcome", added["id"], codes[1], "--deferred")
    assert no_reason.exit_code == 1 and "a deferral needs a reason" in no_reason.stderr
    unknown = cli("drives", "outcome", added["id"], "ACDEFG" if codes[1] != "ACDEFG" else "HJKMNP")
    assert unknown.exit_code == 1 and "has the code" in unknown.stderr
    deferred = cli("drives", "outcome", added["id"], codes[1], "--deferred", "--deferral-reason", "huyết áp cao",
                   "--deferral-until", "15/06/2026", "--json").json()
    assert deferred["text"] == "deferred until 15/06/2026: huyết áp cao"
    counted = cli("drives", "bookings", added["id"], "--counts", "--json").json()["total"]
    assert counted == {"booked": 2, "checked_in": 2, "donated": 1, "deferred": 1, "no_show": 0}
    donations = cli("donations", "list", "--drive", str(added["id"]), "--json").json()
    assert len(donations) == 2


def test_donations_record_with_the_drive_is_the_checked_in_bookings_outcome(cli, sqlite_url, monkeypatch):
    added = cli("drives", "add", "--date", "01/06/2026", "--venue", "Trường THPT", "--start", "07:00",
                "--end", "11:00", "--capacity", "4", "--slot-minutes", "240", "--json").json()
    donor = cli("donors", "add", "Lê Văn An", "--born", "1990-03-04", "--sex", "male", "--weight", "60",
                "--json").json()["id"]
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        booking = slots.book(session=session, donor_id=donor, slot_id=added["slots"][0]["id"], now=EARLIER)
        check_in.check_in(session=session, drive=session.get(Drive, added["id"]), typed=booking.check_in_code,
                          now=NOW, actor="t")
    engine.dispose()
    recorded = cli("donations", "record", donor, "--date", "01/06/2026", "--drive", added["id"], "--json").json()
    assert recorded["booking_id"] == booking.id
    counted = cli("drives", "bookings", added["id"], "--counts", "--json").json()["total"]
    assert (counted["checked_in"], counted["donated"]) == (1, 1)
