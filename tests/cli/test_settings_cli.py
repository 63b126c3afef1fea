"""`settings show / set / reset`: a chapter's own settings from the command line (audited cli:<user>)."""

import getpass

from sqlmodel import select

from donor_registry.audit.models import AuditEntry
from donor_registry.db import make_engine, session_scope


def _tree(cli):
    assert cli("chapters", "add", "national").exit_code == 0
    assert cli("chapters", "add", "province", "--parent", "VN", "--province", "92").exit_code == 0
    assert cli("chapters", "add", "commune", "--parent", "VN-92", "--commune", "31507").exit_code == 0


def _shown(cli, *args):
    return {row["key"]: (row["value"], row["source"], row["from_chapter_id"])
            for row in cli("settings", "show", *args, "--json").json()}


def test_set_show_and_reset(cli_both, db_url):
    _tree(cli_both)
    assert _shown(cli_both) == {"general.chapter_name": ("Hội Chữ thập đỏ", "config", None),
                                "campaigns.drive_ring": ("10km", "config", None),
                                "sms.reminders.invitation_days_before": (5, "config", None)}
    assert cli_both("settings", "set", "drive_ring", "25km", "--chapter", "VN-92").exit_code == 0
    assert cli_both("settings", "set", "sms.reminders.invitation_days_before", "3", "--chapter", "#3").exit_code == 0
    below = _shown(cli_both, "--chapter", "3")
    assert below["campaigns.drive_ring"] == ("25km", "parent", 2)
    assert below["sms.reminders.invitation_days_before"] == (3, "chapter", 3)
    table = cli_both("settings", "show", "--chapter", "3")
    assert table.exit_code == 0 and "from the chapter above: VN-92" in table.stdout
    reset = cli_both("settings", "reset", "drive_ring", "--chapter", "VN-92", "--json")
    assert reset.json() == {"chapter_id": 2, "key": "campaigns.drive_ring", "reset": True, "value": "10km"}
    assert cli_both("settings", "reset", "drive_ring", "--chapter", "VN-92", "--json").json()["reset"] is False
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "settings.change")
                               .order_by(AuditEntry.id)).all()
        assert [(e.actor, e.subject_id, e.detail["key"], e.detail["after"]) for e in entries] == [
            (f"cli:{getpass.getuser()}", 2, "campaigns.drive_ring", "25km"),
            (f"cli:{getpass.getuser()}", 3, "sms.reminders.invitation_days_before", 3),
            (f"cli:{getpass.getuser()}", 2, "campaigns.drive_ring", "10km")]
    engine.dispose()


def test_refusals_are_one_plain_line_and_change_nothing(cli):
    _tree(cli)
    for args, said in [(("set", "invitation_days_before", "90", "--chapter", "VN-92"),
                        "sms.reminders.invitation_days_before: must be at most 60"),
                       (("set", "sms.gateway", "twilio", "--chapter", "VN-92"), "'sms.gateway' is not a chapter setting"),
                       (("set", "drive_ring", "5km", "--chapter", "Hà Nội"), "Hà Nội"),
                       (("reset", "drive_ring", "--chapter", ""), "--chapter is empty")]:
        result = cli("settings", *args)
        assert result.exit_code == 1 and said in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    assert {row["source"] for row in cli("settings", "show", "--chapter", "VN-92", "--json").json()} == {"config"}
