"""The dashboard's numbers as the page shows them (formatted, labels in the current language)."""

from donor_registry.accounts.policy import Action
from donor_registry.dashboard.service import ADDRESS_BOUND, Dashboard
from donor_registry.i18n import _
from donor_registry.i18n import formatting as fmt
from donor_registry.i18n.labels import label
from donor_registry.types import blood_group_label
from donor_registry.web.import_views import outcome

n = fmt.number


def _flagged(count: int | None) -> str | None:
    if count is None:
        return None
    return _("more than {n}").format(n=n(ADDRESS_BOUND)) if count > ADDRESS_BOUND else n(count)


def dashboard_view(board: Dashboard, current) -> dict:
    """Plain values for dashboard.html; a card is None when the role does not see it."""
    return {
        "week": _("{start} to {end}").format(start=fmt.date(board.week_start), end=fmt.date(board.week_end)),
        "drives": None if board.drives is None else [
            {"id": w.drive.id, "date": fmt.date(w.drive.date), "time": w.drive.start_time.strftime("%H:%M"),
             "venue": w.drive.venue, "state": label(w.drive.status),
             "expected": "" if w.expected is None else n(w.expected)} for w in board.drives],
        "reserve": [{"group": r.group, "standby": n(r.standby), "eligible": n(r.eligible_today)}
                    for r in board.reserve],
        "reserve_total": (n(sum(r.standby for r in board.reserve)), n(sum(r.eligible_today for r in board.reserve))),
        "requests": None if board.requests is None else {
            "count": n(len(board.requests)),
            "rows": [{"id": r.id, "group": blood_group_label(r.abo, r.rh), "product": label(r.product),
                      "units": n(r.units), "needed_by": fmt.datetime(r.needed_by)} for r in board.requests]},
        "sms": None if board.sms is None else {
            "queued": n(board.sms.queued), "failed": n(board.sms.failed),
            "sent": n(board.sms.sent_this_month), "cost": fmt.money(board.sms.cost_this_month)},
        "honours": None if board.honours_by_tier is None else {
            "counted": board.honours_counted, "total": n(sum(board.honours_by_tier.values())),
            "tiers": [(n(tier), n(count)) for tier, count in board.honours_by_tier.items()]},
        "addresses": _flagged(board.flagged_addresses),
        "imports": None if board.imports is None else [
            {"token": run.token, "file": run.file_name, "when": fmt.datetime(run.created_at), "by": run.login,
             "state": outcome(run), "imported": "" if run.imported is None else n(run.imported),
             "rejected": "" if run.rejected_rows is None else n(run.rejected_rows)} for run in board.imports],
        "counted_at": fmt.time(board.counted_at) if board.counted_at else "",
        "may_emergency": current.may(Action.work_emergency),
        "may_drives": current.may(Action.work_drives),
    }
