"""The hospitals, emergency and audit commands, end to end on a real SQLite database."""

import os

from sqlmodel import Session, select

from donor_registry.db import make_engine
from donor_registry.sms.models import OutboxMessage


def _donor(cli, name, phone, group="O+", district="Quận 3"):
    result = cli("donors", "add", name, "--birth-year", "1995", "--weight", "62", "--group", group,
                 "--phone", phone, "--commune", "Phường 9", "--district", district,
                 "--province", "TP Hồ Chí Minh", "--consent", "paper", "--standby", "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()["id"]


def _outbox():
    engine = make_engine(os.environ["DONOR_REGISTRY_DATABASE__URL"])
    with Session(engine) as session:
        rows = [(m.donor_id, m.kind) for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))]
    engine.dispose()
    return rows


def _statuses(kind):
    engine = make_engine(os.environ["DONOR_REGISTRY_DATABASE__URL"])
    with Session(engine) as session:
        rows = [m.status.value for m in session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))]
    engine.dispose()
    return rows


def test_hospital_tokens_are_shown_once_and_can_be_revoked_and_rotated(cli):
    added = cli("hospitals", "add", "Bệnh viện Nhân dân 115", "--district", "Quận 10", "--json")
    assert added.exit_code == 0, added.stderr
    token = added.json()["token"]
    assert token.startswith("hsp_") and len(token) > 40
    listed = cli("hospitals", "list", "--json").json()
    assert listed[0]["token_active"] and "token" not in listed[0]
    assert token not in cli("hospitals", "list").stdout
    assert cli("hospitals", "revoke-token", "1").exit_code == 0
    assert cli("hospitals", "list", "--json").json()[0]["token_active"] is False
    again = cli("hospitals", "revoke-token", "1")
    assert again.exit_code == 1 and "no active token" in again.stderr
    rotated = cli("hospitals", "rotate-token", "1", "--json").json()["token"]
    assert rotated != token and cli("hospitals", "list", "--json").json()[0]["token_active"]
    assert cli("hospitals", "add", "X", "--district", "").exit_code == 1


def test_a_phone_request_its_answers_arrival_and_donation(cli):
    cli("hospitals", "add", "Bệnh viện Bình Dân", "--district", "Quận 3", "--commune", "Phường 9")
    donors = [_donor(cli, f"Võ Văn Kiệt{i}", f"09120000{i:02d}") for i in range(5)]
    filed = cli("emergency", "request", "--hospital", "Bệnh viện Bình Dân", "--group", "A+", "--units", "1",
                "--needed-by", "18:00", "--note", "tai nạn giao thông", "--json")
    assert filed.exit_code == 0, filed.stderr
    request = filed.json()
    assert request["counts"]["asked"] == 2 and request["needed_by"] == "2026-06-01T11:00:00+00:00"
    assert [kind for _, kind in _outbox()] == ["emergency_call"] * 2
    shown = cli("emergency", "show", str(request["id"]), "--json").json()
    asked = [d["donor_id"] for d in shown["donors"]]
    assert asked == donors[:2] and all("xxx" in d["phone"] for d in shown["donors"])
    assert cli("emergency", "answer", "1", str(donors[4]), "accept").exit_code == 1  # never asked
    answered = cli("emergency", "answer", "1", str(asked[0]), "accept", "--arrive-in", "20")
    assert answered.exit_code == 0 and "covered" in answered.stdout
    assert ("emergency_filled" in [kind for _, kind in _outbox()])
    assert cli("emergency", "arrived", "1", str(asked[0])).exit_code == 0
    gave = cli("donations", "record", str(asked[0]), "--emergency-request", "1", "--json")
    assert gave.exit_code == 0, gave.stderr
    counts = cli("emergency", "show", "1", "--json").json()["counts"]
    assert counts["accepted"] == 1 and counts["arrived"] == 1 and counts["donated"] == 1
    assert cli("donations", "record", str(asked[1]), "--emergency-request", "99").exit_code == 1
    listed = cli("emergency", "list", "--status", "covered", "--json").json()
    assert [r["id"] for r in listed] == [1]
    audit = cli("audit", "list", "--json").json()
    actions = {entry["action"] for entry in audit}
    assert {"emergency.request", "emergency.callout", "emergency.answer", "emergency.covered",
            "emergency.view", "emergency.arrived", "emergency.donated", "hospital.token_issued"} <= actions
    only = cli("audit", "list", "--action", "emergency.callout", "--json").json()
    assert len(only) == 2 and all(e["action"] == "emergency.callout" for e in only)
    assert "emergency.callout" in cli("audit", "list").stdout


def test_cancel_and_waves_once(cli, monkeypatch):
    cli("hospitals", "add", "Bệnh viện Bình Dân", "--district", "Quận 3")
    for i in range(6):
        _donor(cli, f"Lý Thị Hoa{i}", f"09130000{i:02d}")
    cli("emergency", "request", "--hospital", "1", "--group", "O+", "--units", "1")
    assert "0 wave(s)" in cli("emergency", "waves", "--once").stdout
    assert cli("emergency", "waves").exit_code == 1
    monkeypatch.setenv("DONOR_REGISTRY_NOW", "2026-06-01T03:25:00+00:00")  # 25 minutes later
    assert "1 wave(s)" in cli("emergency", "waves", "--once").stdout
    assert cli("emergency", "show", "1", "--json").json()["counts"]["asked"] == 4
    assert cli("emergency", "cancel", "1", "--reason", "đủ máu").exit_code == 0
    # No dispatcher ran, so no call went out: the four are withdrawn and nobody is told.
    assert [kind for _, kind in _outbox()].count("emergency_filled") == 0
    assert _statuses("emergency_call") == ["cancelled"] * 4
    again = cli("emergency", "cancel", "1")
    assert again.exit_code == 1 and "already cancelled" in again.stderr
    bad = cli("emergency", "request", "--hospital", "1", "--group", "Z", "--units", "1")
    assert bad.exit_code != 0


def test_a_suspended_hospital_cannot_file_until_resumed(cli):
    cli("hospitals", "add", "Bệnh viện Bình Dân", "--district", "Quận 3")
    _donor(cli, "Lý Thị Hoa", "0913000001")
    assert cli("emergency", "request", "--hospital", "1", "--group", "O+", "--units", "1").exit_code == 0
    suspended = cli("hospitals", "suspend", "1", "--reason", "gửi quá nhiều yêu cầu")
    assert suspended.exit_code == 0 and "suspended" in suspended.stdout
    assert "1 of its requests are still open" in suspended.stderr
    listed = cli("hospitals", "list", "--json").json()[0]
    assert listed["suspended_at"] and listed["suspended_reason"] == "gửi quá nhiều yêu cầu"
    again = cli("hospitals", "suspend", "1")
    assert again.exit_code == 1 and "already suspended" in again.stderr
    refused = cli("emergency", "request", "--hospital", "1", "--group", "O+", "--units", "1")
    assert refused.exit_code == 1 and "suspended by the Red Cross chapter" in refused.stderr
    assert cli("hospitals", "resume", "1", "--json").json()["suspended_at"] is None
    assert cli("hospitals", "resume", "1").exit_code == 1
    assert cli("emergency", "request", "--hospital", "1", "--group", "O+", "--units", "1").exit_code == 0
    actions = [e["action"] for e in cli("audit", "list", "--json").json()]
    assert {"hospital.suspended", "hospital.resumed"} <= set(actions)
