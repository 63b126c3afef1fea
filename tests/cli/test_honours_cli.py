"""`honours` and `report` commands end to end on a pinned clock."""

import csv

from openpyxl import load_workbook
from sqlmodel import Session, select

from donor_registry.audit.models import AuditEntry
from donor_registry.config import load_settings
from donor_registry.db import make_engine


def _donor_with(cli, name, donations, district="Huyện Đan Phượng"):
    donor_id = cli("donors", "add", name, "--district", district, "--json").json()["id"]
    for i in range(donations):
        # 84 days apart so every donation is allowed; the last one long before the pinned today.
        day = f"{2010 + i // 4}-{1 + 3 * (i % 4):02d}-01"
        assert cli("donations", "record", donor_id, "--date", day).exit_code == 0
    return donor_id


def _audit_actions():
    engine = make_engine(load_settings().database.url)
    with Session(engine) as session:
        actions = [entry.action for entry in session.exec(select(AuditEntry))]
    engine.dispose()
    return actions


def test_ceremony_candidates_award_export_revoke(cli, tmp_path):
    ha = _donor_with(cli, "Bùi Thị Hạ", 5)
    anh = _donor_with(cli, "Lê Văn Ánh", 12, district="Huyện Ba Vì")
    _donor_with(cli, "Trần Văn Bốn", 4)
    created = cli("honours", "ceremony", "create", "Tôn vinh 14/6/2026", "--date", "14/06/2026",
                  "--level", "province", "--json")
    assert created.exit_code == 0, created.stderr
    ceremony_id = created.json()["id"]

    listed = cli("honours", "candidates", "--json").json()
    assert [(r["donor_id"], r["tier"], r["level"]) for r in listed] == [(anh, 10, "commune"), (ha, 5, "commune")]
    assert [r["donor_id"] for r in cli("honours", "candidates", "--district", "huyen ba vi", "--json").json()] == [anh]
    assert cli("honours", "candidates", "--as-of", "2010-12-31", "--json").json() == []

    dry = cli("honours", "award", ceremony_id, "--dry-run", "--json").json()
    assert dry["dry_run"] and len(dry["awards"]) == 2
    assert len(cli("honours", "candidates", "--json").json()) == 2  # nothing was written

    done = cli("honours", "award", "Tôn vinh 14/6/2026")
    assert done.exit_code == 0 and "awarded 2 honours" in done.stdout
    assert cli("honours", "candidates", "--json").json() == []
    assert cli("honours", "ceremony", "list", "--json").json()[0]["awards"] == 2

    out = tmp_path / "list.xlsx"
    assert cli("honours", "export", ceremony_id, "--out", out).exit_code == 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    names = [row[1] for row in rows if isinstance(row[0], int)]
    assert names == ["Lê Văn Ánh", "Bùi Thị Hạ"]  # tier 10 first

    csv_out = tmp_path / "list.csv"
    assert cli("honours", "export", ceremony_id, "--format", "csv", "--out", csv_out, "--by-district").exit_code == 0
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert [r[1] for r in csv.reader(csv_out.read_text(encoding="utf-8-sig").splitlines())][1:] == [
        "Lê Văn Ánh", "Bùi Thị Hạ"]

    revoked = cli("honours", "revoke", "--donor", ha, "--tier", 5, "--reason", "ghi nhầm số lần")
    assert revoked.exit_code == 0, revoked.stderr
    assert [r["donor_id"] for r in cli("honours", "candidates", "--json").json()] == [ha]
    assert cli("honours", "candidates", "--export", tmp_path / "due.pdf").exit_code == 0
    assert (tmp_path / "due.pdf").read_bytes().startswith(b"%PDF")
    assert _audit_actions() == ["honours.export", "honours.export", "honours.export_candidates"]


def test_plain_errors(cli, tmp_path):
    ha = _donor_with(cli, "Bùi Thị Hạ", 3)
    cli("honours", "ceremony", "create", "Lễ", "--date", "2026-06-14", "--level", "commune")
    not_due = cli("honours", "award", "Lễ", "--donor", ha)
    assert not_due.exit_code == 1 and "has no tier left to award" in not_due.stderr
    assert "no ceremony" in cli("honours", "award", "Không có").stderr
    assert cli("honours", "revoke", "--donor", ha, "--tier", 5, "--reason", "x").exit_code == 1
    assert cli("honours", "candidates", "--tier", 6).exit_code != 0
    assert cli("honours", "export", "Lễ", "--out", tmp_path / "x.doc").exit_code != 0
    assert "already exists" in cli("honours", "ceremony", "create", "Lễ", "--date", "2026-06-14",
                                   "--level", "commune").stderr


def test_annual_report_formats(cli, tmp_path):
    _donor_with(cli, "Bùi Thị Hạ", 5)
    report = cli("report", "annual", 2010, "--format", "json").json()
    assert (report["units"], report["new_donors"], report["repeat_donors"]) == (4, 1, 0)
    assert cli("report", "annual", 2011, "--format", "json").json()["repeat_donors"] == 1
    text = cli("report", "annual", 2010)
    assert "Units received: 4" in text.stdout
    assert cli("report", "annual", 2010, "--format", "xlsx").exit_code != 0  # needs --out
    out = tmp_path / "r.xlsx"
    assert cli("report", "annual", 2010, "--format", "xlsx", "--out", out).exit_code == 0
    assert load_workbook(out).sheetnames[0] == "Summary 2010"
