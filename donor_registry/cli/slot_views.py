"""How a drive's slots and bookings look on screen and in --json."""

from donor_registry.cli.output import print_table
from donor_registry.i18n import N_, _
from donor_registry.phones import mask_phone


def slot_row(slot) -> dict:
    """A slot as a flat dict with its free places."""
    return {"id": slot.id, "drive_id": slot.drive_id, "start": f"{slot.start_time:%H:%M}",
            "end": f"{slot.end_time:%H:%M}", "capacity": slot.capacity, "booked": slot.booked,
            "free": slot.capacity - slot.booked}


def booking_row(slot, booking, donor) -> dict:
    """An active booking with its slot and donor; the phone masked."""
    return {"id": booking.id, "slot_id": slot.id, "start": f"{slot.start_time:%H:%M}", "end": f"{slot.end_time:%H:%M}",
            "donor_id": donor.id, "full_name": donor.full_name,
            "phone": mask_phone(donor.phone_e164) if donor.phone_e164 else None, "booked_at": booking.created_at}


def print_slots(rows: list[dict]) -> None:
    print_table(None, [N_("#"), N_("time"), N_("capacity"), N_("booked"), N_("free")], [
        (r["id"], f"{r['start']}–{r['end']}", r["capacity"], r["booked"], r["free"]) for r in rows
    ], empty=N_("the drive has no slots"))


def print_bookings(rows: list[dict]) -> None:
    print_table(None, [N_("time"), N_("booking"), N_("donor"), N_("name"), N_("phone"), N_("booked at")], [
        (f"{r['start']}–{r['end']}", r["id"], r["donor_id"], r["full_name"], r["phone"], r["booked_at"])
        for r in rows
    ], empty=N_("no bookings"))


COUNT_FIELDS = ("booked", "checked_in", "donated", "deferred", "no_show")


def counts_record(found) -> dict:
    """A drive's counts by slot (slots/counts.drive_counts) and their totals, for --json."""
    tally = lambda t: {name: getattr(t, name) for name in COUNT_FIELDS}
    return {"slots": [{"slot_id": s.slot_id, "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}",
                       "capacity": s.capacity, **tally(s.tally)} for s in found.slots],
            "total": tally(found.total)}


def print_counts(record: dict) -> None:
    rows = [(f"{r['start']}–{r['end']}", r["capacity"], *(r[name] for name in COUNT_FIELDS)) for r in record["slots"]]
    if rows:
        rows.append((_("total"), sum(r["capacity"] for r in record["slots"]),
                     *(record["total"][name] for name in COUNT_FIELDS)))
    print_table(None, [N_("time"), N_("capacity"), N_("booked"), N_("checked in"), N_("donated"), N_("deferred"),
                       N_("no-show")], rows, empty=N_("the drive has no slots"))
