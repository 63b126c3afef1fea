"""What the import pages show of a run, as plain values in the current language (the report's
lines are the CLI's, `donor-registry import`)."""

from donor_registry.i18n import N_, _
from donor_registry.i18n import formatting as fmt
from donor_registry.importing.models import ImportRun, ImportStatus
from donor_registry.importing.report import chapter_rows

KIND_LABELS = {"donations": N_("a donation list"), "donors": N_("a donor list")}
STATUS_LABELS = {
    ImportStatus.checking: N_("being checked"),
    ImportStatus.checked: N_("checked, waiting for confirmation"),
    ImportStatus.importing: N_("being imported"),
    ImportStatus.failed: N_("stopped with an error"),
    ImportStatus.cancelled: N_("cancelled"),
}
ENCODINGS = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16",
             "cp1258": "Windows-1258", "xlsx": "Excel (.xlsx)"}


def kinds() -> list[tuple[str, str]]:
    return [(kind, _(label)) for kind, label in KIND_LABELS.items()]


def no_file() -> str:
    return _("Choose a .csv or .xlsx file to upload.")


def outcome(run: ImportRun) -> str:
    if run.status == ImportStatus.done:
        return _("saved") if run.written else _("nothing saved: some rows were refused")
    return _(STATUS_LABELS[run.status])


def _count(value) -> str:
    return "" if value is None else fmt.number(value)


def history_row(run: ImportRun) -> dict:
    return {"token": run.token, "when": fmt.datetime(run.created_at), "login": run.login, "file": run.file_name,
            "kind": _(KIND_LABELS.get(run.kind, run.kind)), "rows_read": _count(run.rows_read),
            "imported": _count(run.imported) if run.status == ImportStatus.done else "",
            "refused": _count(run.rejected_rows), "repeated": _count(run.repeated_rows),
            "outcome": outcome(run), "error": run.error or "", "ok": run.status == ImportStatus.done and run.written}


def report_rows(run: ImportRun) -> list[tuple[str, str]]:
    """The report's lines, as `donor-registry import` prints them."""
    if run.rows_read is None:
        return []
    donations, report = run.kind == "donations", run.report or {}
    if run.written:
        imported = _("donations and deferrals imported") if donations else _("donors imported")
    else:
        imported = (_("donations and deferrals to import (nothing saved)") if donations
                    else _("donors to import (nothing saved)"))
    rows = [(_("rows read"), run.rows_read), (imported, run.imported),
            (_("rows matched to a known donor"), run.matched), (_("donors created"), run.created),
            (_("consents to be contacted recorded"), report.get("consents", 0)),
            (_("rows refused"), run.rejected_rows), (_("repeated rows skipped"), run.repeated_rows)]
    if report.get("accepted_violations"):
        rows.append((_("donations kept despite a recording check"), report["accepted_violations"]))
    addresses = report.get("addresses") or {}
    if addresses:
        rows += [(_("addresses converted from before 2025-07-01"), addresses.get("converted", 0)),
                 (_("addresses already in the new units"), addresses.get("new", 0)),
                 (_("addresses flagged for review (split or ambiguous)"),
                  addresses.get("split", 0) + addresses.get("ambiguous", 0)),
                 (_("addresses naming no unit (flagged)"), addresses.get("unknown", 0))]
    rows += chapter_rows(report.get("chapters") or [])
    return [(label, _count(value)) for label, value in rows]


def summary(run: ImportRun) -> dict:
    report = run.report or {}
    return {**history_row(run), "rows": report_rows(run), "status": run.status.value,
            "kind_value": run.kind, "rejected_rows": run.rejected_rows or 0,
            "encoding": ENCODINGS.get(report.get("encoding", ""), report.get("encoding", "")),
            "unknown_columns": report.get("unknown_columns", []), "repeats": report.get("repeats", []),
            "finished": fmt.datetime(run.finished_at), "skip_invalid": run.skip_invalid}
