"""`drives release DRIVE --hospital H`: a drive's given units go to a hospital, each donor thanked once."""

import os

from sqlmodel import Session, select

from donor_registry.db import make_engine
from donor_registry.sms.models import OutboxMessage


def _thank_yous():
    engine = make_engine(os.environ["DONOR_REGISTRY_DATABASE__URL"])
    with Session(engine) as session:
        rows = [(m.donor_id, m.body) for m in session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "blood_reached").order_by(OutboxMessage.id))]
    engine.dispose()
    return rows


def _donor(cli, name, phone):
    added = cli("donors", "add", name, "--born", "1990-01-01", "--weight", "60", "--phone", phone,
                "--consent", "paper", "--json")
    assert added.exit_code == 0, added.stderr
    return added.json()["id"]


def test_a_drives_units_are_released_once_and_each_donor_thanked(cli_both):
    cli = cli_both
    assert cli("hospitals", "add", "Bệnh viện Chợ Rẫy", "--district", "Quận 5").exit_code == 0
    drive = cli("drives", "add", "--date", "01/06/2026", "--venue", "Nhà văn hóa xã Tân Lập", "--json").json()["id"]
    hoa, tu, quan = (_donor(cli, name, phone) for name, phone in (
        ("Phạm Thị Hòa", "0912345601"), ("Lê Văn Tú", "0912345602"), ("Trần Văn Quân", "0912345603")))
    for donor in (hoa, tu):
        assert cli("donations", "record", donor, "--date", "2026-06-01", "--drive", drive).exit_code == 0
    assert cli("donations", "record", quan, "--date", "2026-06-01", "--drive", drive, "--deferred",
               "--deferral-reason", "thiếu máu").exit_code == 0
    done = cli("drives", "release", drive, "--hospital", "Bệnh viện Chợ Rẫy")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == (f"released 2 unit(s) of drive #{drive} to Bệnh viện Chợ Rẫy; "
                                   "2 thank-you SMS queued")
    assert _thank_yous() == [
        (hoa, "Hoi Chu thap do cam on ban Hoa: mau ban hien ngay 01/06/2026 da den Benh vien Cho Ray de cuu nguoi benh."),
        (tu, "Hoi Chu thap do cam on ban Tu: mau ban hien ngay 01/06/2026 da den Benh vien Cho Ray de cuu nguoi benh.")]
    again = cli("drives", "release", drive, "--hospital", "1", "--json")
    assert again.json() == {"drive_id": drive, "hospital": "Bệnh viện Chợ Rẫy", "released": [], "thanked": 0}
    assert len(_thank_yous()) == 2
    unknown = cli("drives", "release", drive, "--hospital", "Bệnh viện Không Có")
    assert unknown.exit_code == 1 and len(unknown.stderr.strip().splitlines()) == 1
