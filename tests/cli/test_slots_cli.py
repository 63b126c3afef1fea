"""`drives add --capacity --slot-minutes`, `drives slots` and `drives bookings` end to end
(clock pinned to 2026-06-01 10:00 in Vietnam)."""

import datetime as dt

from donor_registry.db import make_engine, session_scope
from donor_registry.slots import service as slots

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_a_drive_added_with_slots_lists_them_booked_and_free(cli, sqlite_url, monkeypatch):
    added = cli("drives", "add", "--date", "20/06/2026", "--venue", "Nhà văn hóa xã Tân Lập", "--start", "07:00",
                "--end", "11:30", "--capacity", "9", "--slot-minutes", "60", "--json").json()
    assert [(s["start"], s["end"], s["capacity"]) for s in added["slots"]] == [
        ("07:00", "08:00", 2), ("08:00", "09:00", 2), ("09:00", "10:00", 2), ("10:00", "11:00", 2),
        ("11:00", "11:30", 1)]
    lan = cli("donors", "add", "Trần Thị Hoà", "--born", "1990-03-04", "--sex", "female",
              "--phone", "0912345678", "--json").json()
    binh = cli("donors", "add", "Lê Văn Bình", "--born", "1988-01-02", "--sex", "male", "--json").json()
    seven, eight = (s["id"] for s in added["slots"][:2])
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        slots.book(session=session, donor_id=lan["id"], slot_id=eight, now=NOW)
        slots.book(session=session, donor_id=binh["id"], slot_id=seven, now=NOW)
    engine.dispose()

    listed = cli("drives", "slots", added["id"], "--json").json()
    assert [(s["start"], s["booked"], s["free"]) for s in listed] == [
        ("07:00", 1, 1), ("08:00", 1, 1), ("09:00", 0, 2), ("10:00", 0, 2), ("11:00", 0, 1)]
    booked = cli("drives", "bookings", added["id"], "--json").json()
    assert [(b["start"], b["full_name"], b["phone"]) for b in booked] == [
        ("07:00", "Lê Văn Bình", None), ("08:00", "Trần Thị Hòa", "+84 91x xxx 678")]
    monkeypatch.setenv("DONOR_REGISTRY_LANG", "vi")
    table = _flat(cli("drives", "slots", added["id"]).stdout)
    assert "đã đặt" in table and "còn trống" in table and "07:00–08:00 2 1 1" in table
    people = _flat(cli("drives", "bookings", added["id"]).stdout)
    assert "0912345678" not in people and "+84 91x xxx 678" in people and "Trần Thị Hòa" in people


def test_slots_need_a_capacity_and_a_refusal_saves_no_drive(cli):
    refused = cli("drives", "add", "--date", "20/06/2026", "--venue", "Trường THPT", "--slot-minutes", "30")
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1 and "has no capacity" in refused.stderr
    too_few = cli("drives", "add", "--date", "20/06/2026", "--venue", "Trường THPT", "--capacity", "3",
                  "--slot-minutes", "60")
    assert too_few.exit_code == 1 and "leaves the slot 10:00–11:00 without a place" in too_few.stderr
    assert cli("drives", "list", "--json").json() == []
    plain = cli("drives", "add", "--date", "20/06/2026", "--venue", "Trường THPT", "--json").json()
    assert plain["slots"] == []
    assert "the drive has no slots" in cli("drives", "slots", plain["id"]).stdout
    assert "no bookings" in cli("drives", "bookings", plain["id"]).stdout
    missing = cli("drives", "slots", "999")
    assert missing.exit_code == 1 and "no drive #999" in missing.stderr


def test_a_slot_gets_more_places_or_none_and_a_slot_is_added_after_the_others(cli, sqlite_url):
    added = cli("drives", "add", "--date", "20/06/2026", "--venue", "Nhà văn hóa xã Tân Lập", "--start", "07:00",
                "--end", "09:00", "--capacity", "4", "--slot-minutes", "60", "--json").json()
    seven, eight = (s["id"] for s in added["slots"])
    lan = cli("donors", "add", "Trần Thị Hoà", "--born", "1990-03-04", "--sex", "female", "--json").json()
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        slots.book(session=session, donor_id=lan["id"], slot_id=eight, now=NOW)
    engine.dispose()
    more = cli("drives", "slot-capacity", str(seven), "5", "--json").json()
    assert [(s["start"], s["capacity"], s["booked"]) for s in more] == [("07:00", 5, 0), ("08:00", 2, 1)]
    refused = cli("drives", "slot-capacity", str(eight), "0")
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1 and "has 1 places booked" in refused.stderr
    later = cli("drives", "add-slot", str(added["id"]), "--start", "09:00", "--end", "9h30", "--capacity", "3",
                "--json").json()
    assert [(s["start"], s["end"], s["capacity"]) for s in later] == [
        ("07:00", "08:00", 5), ("08:00", "09:00", 2), ("09:00", "09:30", 3)]
    shown = cli("drives", "show", str(added["id"]), "--json").json()
    assert (shown["end"], shown["capacity"]) == ("09:30", 10)
