"""How campaigns and drives look on screen and in --json."""

import datetime as dt

from rich.table import Table

from donor_registry.campaigns.models import Campaign, CampaignStatus, Drive, DriveStatus
from donor_registry.campaigns.service import PlanItem
from donor_registry.campaigns.turnout import Turnout
from donor_registry.cli.output import console, err_console, print_fields, print_table
from donor_registry.i18n import N_, _
from donor_registry.i18n.labels import label

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def weekday(day: dt.date) -> str:
    """The Vietnamese name of the day of the week."""
    return WEEKDAYS_VI[day.weekday()]


def _status(kind, value: str) -> str:
    """The label of a status kept as its value in the record ("closed" -> "đã kết thúc")."""
    return label(kind(value))


def campaign_summary(campaign: Campaign) -> dict:
    """A campaign as a flat dict."""
    return {
        "id": campaign.id, "template_key": campaign.template_key, "name": campaign.name, "year": campaign.year,
        "start": campaign.start, "end": campaign.end, "target_units": campaign.target_units,
        "status": campaign.status.value, "notes": campaign.notes, "chapter_id": campaign.chapter_id,
    }


def drive_summary(drive: Drive) -> dict:
    """A drive as a flat dict, results included once it is closed."""
    return {
        "id": drive.id, "campaign_id": drive.campaign_id, "date": drive.date,
        "start": f"{drive.start_time:%H:%M}", "end": f"{drive.end_time:%H:%M}", "venue": drive.venue,
        "commune": drive.commune, "district": drive.district, "province": drive.province,
        "capacity": drive.capacity, "target_units": drive.target_units, "status": drive.status.value,
        "registered": drive.registered, "donated": drive.donated, "deferred": drive.deferred,
        "units": drive.units, "sequence": drive.sequence, "notes": drive.notes,
        "province_code": drive.province_code, "commune_code": drive.commune_code,
        "latitude": drive.latitude, "longitude": drive.longitude, "chapter_id": drive.chapter_id,
    }


def turnout_summary(turnout: Turnout) -> dict:
    """`total` is the forecast for a drive with bookings (booked × show rate + walk-ins), else `eligible`."""
    forecast = turnout.forecast
    return {"area": turnout.area, "area_name": turnout.area_name, "total": turnout.total,
            "eligible": turnout.eligible, "by_group": turnout.by_group, "booked": turnout.booked,
            "show_rate": turnout.show_rate, "expected_walk_ins": turnout.expected_walk_ins,
            "show_rate_drives": forecast.from_history if forecast else None}


def plan_row(item: PlanItem) -> dict:
    """One line of `campaigns plan --json`."""
    plan = item.planned
    return {
        "id": item.campaign.id if item.campaign else None, "template_key": plan.template_key,
        "name": item.campaign.name if item.campaign else plan.name,
        "start": item.campaign.start if item.campaign else plan.start,
        "end": item.campaign.end if item.campaign else plan.end,
        "days": list(plan.days), "target_units": plan.target_units,
        "action": "create" if item.created else "already planned",
        "status": item.campaign.status.value if item.campaign else None,
    }


def _months(year: int, items: list[PlanItem]) -> list[tuple[int, int]]:
    first = min((item.planned.start for item in items), default=dt.date(year, 1, 1))
    months = [(year - 1, 12)] if first.year < year else []
    return months + [(year, m) for m in range(1, 13)]


def _cell(plan, month: tuple[int, int]) -> str:
    year, number = month
    if plan.days:  # weekly: how many of its days fall in the month
        count = sum(1 for d in plan.days if (d.year, d.month) == month)
        return str(count) if count else ""
    month_start = dt.date(year, number, 1)
    month_end = dt.date(year + number // 12, number % 12 + 1, 1) - dt.timedelta(days=1)
    return "■" if plan.start <= month_end and plan.end >= month_start else ""


def print_plan_calendar(year: int, items: list[PlanItem]) -> None:
    """The year's campaigns as a month grid: ■ for months a campaign runs, N for N weekly days."""
    months = _months(year, items)
    table = Table(title=_("Campaigns {year}").format(year=year), header_style="bold")
    for header in (N_("#"), N_("campaign"), N_("from"), N_("to"), N_("target")):
        table.add_column(_(header))
    table.add_column("")
    for y, m in months:
        table.add_column(f"{m}/{str(y)[2:]}" if y != year else str(m), justify="center")
    for item in items:
        plan = item.planned
        campaign = item.campaign
        start, end = (campaign.start, campaign.end) if campaign else (plan.start, plan.end)
        state = _("new") if item.created else label(campaign.status)
        table.add_row(str(campaign.id) if campaign else "-", campaign.name if campaign else plan.name,
                      f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}", str(plan.target_units), state,
                      *(_cell(plan, month) for month in months))
    console.print(table)


def print_campaign_table(rows: list[dict]) -> None:
    print_table(None, [N_("#"), N_("year"), N_("campaign"), N_("from"), N_("to"), N_("target"), N_("status"), N_("template")], [
        (r["id"], r["year"], r["name"], r["start"], r["end"], r["target_units"], _status(CampaignStatus, r["status"]),
         r["template_key"])
        for r in rows
    ], empty=N_("no campaigns; plan the year with `donor-registry campaigns plan YEAR`"))


def print_campaign_record(record: dict) -> None:
    totals = record["totals"]
    print_fields(f"#{record['id']} {record['name']} ({record['year']})", [
        (N_("dates"), f"{record['start']} – {record['end']}"), (N_("status"), _status(CampaignStatus, record["status"])),
        (N_("template"), record["template_key"] or "-"), (N_("notes"), record["notes"]),
        (N_("drives"), _("{drives} ({closed} closed, {cancelled} cancelled)").format(
            drives=totals["drives"], closed=totals["drives_closed"], cancelled=totals["drives_cancelled"])),
        (N_("units"), _("{units} of {target} targeted").format(units=totals["units"], target=record["target_units"])),
        (N_("donors"), _("{donated} donated, {deferred} deferred, {registered} registered").format(
            donated=totals["donated"], deferred=totals["deferred"], registered=totals["registered"])),
    ])
    print_drive_table(record["drives"])


def print_drive_table(rows: list[dict]) -> None:
    print_table(None, [N_("#"), N_("date"), N_("time"), N_("venue"), N_("commune"), N_("district"), N_("capacity"), N_("target"), N_("status"), N_("units")], [
        (r["id"], f"{weekday(r['date'])} {r['date']:%d/%m/%Y}", f"{r['start']}–{r['end']}", r["venue"], r["commune"],
         r["district"], r["capacity"], r["target_units"], _status(DriveStatus, r["status"]), r["units"]) for r in rows
    ], empty=N_("no drives"))


def print_drive_record(record: dict) -> None:
    turnout = record["expected_turnout"]
    fields = [
        (N_("date"), f"{weekday(record['date'])} {record['date']:%d/%m/%Y}, {record['start']}–{record['end']}"),
        (N_("venue"), record["venue"]),
        (N_("area"), ", ".join(filter(None, [record["commune"], record["district"], record["province"]])) or "-"),
        (N_("campaign"), f"#{record['campaign_id']} {record['campaign_name']}" if record["campaign_id"] else "-"),
        (N_("capacity"), record["capacity"]), (N_("target units"), record["target_units"]),
        (N_("status"), _status(DriveStatus, record["status"])),
    ]
    if record["status"] == "closed":
        results = _("{units} units; {donated} donated, {deferred} deferred of {registered} registered").format(
            units=record["units"], donated=record["donated"], deferred=record["deferred"],
            registered=record["registered"])
        fields.append((N_("results"), results))
    print_fields(_("Drive #{id}").format(id=record['id']), fields)
    print_warnings(record["warnings"])
    if turnout["booked"] is not None:
        console.print(_("[bold]Expected turnout[/bold]: {total} donors: {booked} booked × {rate:.0%} show rate + "
                        "{walk_ins} walk-ins ({basis})").format(
            total=turnout["total"], booked=turnout["booked"], rate=turnout["show_rate"],
            walk_ins=turnout["expected_walk_ins"],
            basis=_("the chapter's last {n} finished drives with bookings").format(n=turnout["show_rate_drives"])
            if turnout["show_rate_drives"] else _("no finished drive with bookings yet: an assumed show rate")),
            highlight=False)
    if turnout["area"] is None:
        console.print(_("expected turnout: unknown (the drive has no commune or district)"))
        return
    console.print(_("[bold]Expected turnout[/bold]: {total} donors living in {area_name} may give on {date}").format(total=turnout['eligible'], area_name=turnout['area_name'], date=record['date']), highlight=False)
    print_table(None, list(turnout["by_group"]), [list(turnout["by_group"].values())])


def print_warnings(warnings: list[dict]) -> None:
    """Conflicts, on stderr, one line each."""
    for warning in warnings:
        err_console.print(_("warning: {message}").format(message=warning['message']), highlight=False, markup=False)
