"""A workspace import places the donors it creates within the uploader's chapter: by the place
rule (commune's chapter, else province's, else national) when that chapter is the uploader's or
below it, else in the uploader's own chapter; a donor the file matches keeps its chapter."""

import re

import pytest
from sqlalchemy import text

from donor_registry.accounts.models import Role, User
from donor_registry.api import create_app
from donor_registry.chapters import service as chapters
from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.donors.models import DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.types import Sex
from tests.api.test_workspace_imports import HASH, _client, _upload

HEADER = "Họ và tên,Năm sinh,Giới tính,SĐT,Xã/Phường,Huyện/Quận,Tỉnh/Thành phố,Ngày hiến\n"
ROWS = {
    "Lâm Thị Mai": "Lâm Thị Mai,1990,Nữ,0912000001,Phường 5,Thành phố Sóc Trăng,Sóc Trăng,01/03/2026\n",  # 31507
    "Trần Văn Ninh": "Trần Văn Ninh,1988,Nam,0912000005,Phường Ninh Kiều,,Thành phố Cần Thơ,01/03/2026\n",  # 31135
    "Đinh Thị Thu": "Đinh Thị Thu,1992,Nữ,0912000003,Phường An Cư,Quận Ninh Kiều,Cần Thơ,01/03/2026\n",  # 92 only
    "Hồ Văn An": "Hồ Văn An,1985,Nam,0912000002,Phường Cam Đường,,Tỉnh Lào Cai,01/03/2026\n",  # 15 only
    "Mai Văn Tâm": "Mai Văn Tâm,1979,Nam,0912000004,,,,01/03/2026\n",  # no address
    # Registered in VN-92-31135 before: the file matches her (phone and name), she stays there.
    "Võ Thị Tú": "Võ Thị Tú,1970,Nữ,0912000009,Phường 5,Thành phố Sóc Trăng,Sóc Trăng,01/03/2026\n",
}
# Where each donor is after the upload, by the uploader's chapter.
EXPECTED = {
    "VN-92-31507": {"Lâm Thị Mai": "VN-92-31507", "Trần Văn Ninh": "VN-92-31507", "Đinh Thị Thu": "VN-92-31507",
                    "Hồ Văn An": "VN-92-31507", "Mai Văn Tâm": "VN-92-31507", "Võ Thị Tú": "VN-92-31135"},
    "VN-92": {"Lâm Thị Mai": "VN-92-31507", "Trần Văn Ninh": "VN-92-31135", "Đinh Thị Thu": "VN-92",
              "Hồ Văn An": "VN-92", "Mai Văn Tâm": "VN-92", "Võ Thị Tú": "VN-92-31135"},
}
# What the check's report says: new donors by chapter.
JOINED = {"VN-92-31507": {"VN-92-31507": 5}, "VN-92": {"VN-92": 3, "VN-92-31135": 1, "VN-92-31507": 1}}


@pytest.fixture
def site(engine, db_url, now, tmp_path):
    with session_scope(engine) as session:
        vn = chapters.create_chapter(session=session, now=now, kind="national").id
        can_tho = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                          province_code="92").id
        soc_trang = chapters.create_chapter(session=session, now=now, kind="commune", parent_id=can_tho,
                                            commune_code="31507").id
        ninh_kieu = chapters.create_chapter(session=session, now=now, kind="commune", parent_id=can_tho,
                                            commune_code="31135").id
        chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn, province_code="15")
        people = {}
        for login, chapter in (("VN-92-31507", soc_trang), ("VN-92", can_tho)):
            user = User(login=login.lower(), password_hash=HASH, role=Role.coordinator, chapter_id=chapter,
                        created_at=now, updated_at=now, password_changed_at=now)
            session.add(user)
            session.flush()
            people[login] = user.id
        create_donor(session=session, now=now, data=DonorCreate(
            full_name="Võ Thị Tú", birth_year=1970, sex=Sex.female, phone="0912000009", chapter_id=ninh_kieu))
    settings = Settings(database={"url": db_url}, web={"upload_dir": str(tmp_path / "uploads"), "max_upload_mb": 1})
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    app.state.import_runner = lambda job: job()
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people}


def _placed(site) -> dict[str, str | None]:
    with session_scope(site["engine"]) as session:
        return dict(session.connection().execute(text(
            "SELECT d.full_name, c.code FROM donors d LEFT JOIN chapters c ON c.id = d.chapter_id")).all())


@pytest.mark.parametrize("uploader", sorted(EXPECTED))
def test_new_donors_join_a_chapter_within_the_uploaders(site, uploader):
    client, csrf = _client(site, uploader)
    content = (HEADER + "".join(ROWS.values())).encode("utf-8")
    token = _upload(client, csrf, [], content=content).headers["location"].rsplit("/", 1)[1]
    checked = client.get(f"/imports/{token}").text
    joined = {code: int(count) for code, count in re.findall(
        r"<th>người hiến mới vào hội (\S+) [^<]*</th><td>(\d+)</td>", checked)}
    assert joined == JOINED[uploader]
    assert _placed(site) == {"Võ Thị Tú": "VN-92-31135"}  # the check saved nothing
    confirmed = client.post(f"/imports/{token}/confirm", data={"csrftoken": csrf})
    assert confirmed.status_code == 303
    assert _placed(site) == EXPECTED[uploader]
