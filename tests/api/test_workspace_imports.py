"""The import pages over HTTP: upload, the check with every refused row, confirm (with or
without the refused rows) or cancel, the background job and its progress page, the history."""

import io
import re
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from donor_registry import i18n
from donor_registry.accounts import sessions
from donor_registry.accounts.models import Role, User
from donor_registry.api import create_app
from donor_registry.audit.models import AuditEntry
from donor_registry.chapters import service as chapters
from donor_registry.config import Settings
from donor_registry.db import session_scope
from donor_registry.donations.models import Donation
from donor_registry.donors.models import Donor
from donor_registry.importing.models import ImportRun, ImportStatus
from donor_registry.web.deps import SESSION_COOKIE

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$not-a-real-hash-sessions-are-opened-directly"
HEADER = "Họ và tên,Năm sinh,Giới tính,Nhóm máu,SĐT,Ngày hiến,Thể tích (ml),Ghi chú riêng\n"
GOOD = ["Nguyễn Thị Hoà,1990,Nữ,O+,0912000001,01/03/2026,350,\n",
        "Trần Văn Bình,1985,Nam,B+,0912000002,02/03/2026,350,\n"]
BAD = "Lê Văn Cường,1988,Nam,X,0912000003,01/03/2026,350,\n"  # line 4: no such blood group
FIXED = "Lê Văn Cường,1988,Nam,A+,0912000003,01/03/2026,350,\n"
BLOOD_GROUP_REASON = "'{raw}' is not a blood group (expected O, A, B or AB with + or -)"


def _vietnamese(msgid: str, **values) -> str:
    """A service message as the Vietnamese catalog gives it."""
    with i18n.use_language("vi"):
        return i18n.gettext(msgid).format(**values)


@pytest.fixture
def site(engine, db_url, now, tmp_path):
    with session_scope(engine) as session:
        vn = chapters.create_chapter(session=session, now=now, kind="national").id
        home = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                       province_code="92").id
        other = chapters.create_chapter(session=session, now=now, kind="province", parent_id=vn,
                                        province_code="15").id
        people = {}
        for login, role, chapter in (("coordinator", Role.coordinator, home), ("viewer", Role.viewer, home),
                                     ("admin", Role.admin, home), ("stranger", Role.coordinator, other)):
            user = User(login=login, password_hash=HASH, role=role, chapter_id=chapter, created_at=now,
                        updated_at=now, password_changed_at=now)
            session.add(user)
            session.flush()
            people[login] = user.id
    uploads = tmp_path / "uploads"
    settings = Settings(database={"url": db_url}, web={"upload_dir": str(uploads), "max_upload_mb": 1})
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    app.state.import_runner = lambda job: job()  # the jobs run inline, inside the request
    return {"app": app, "engine": engine, "settings": settings, "now": now, "people": people, "uploads": uploads}


def _client(site, who: str) -> tuple[TestClient, str]:
    client = TestClient(site["app"], follow_redirects=False)
    with session_scope(site["engine"]) as session:
        _, token = sessions.start(session=session, now=site["now"], user=session.get(User, site["people"][who]),
                                  settings=site["settings"].accounts)
    client.cookies.set(SESSION_COOKIE, token)
    return client, _csrf(client)


def _csrf(client, path="/") -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', client.get(path).text).group(1)


def _upload(client, csrf, rows, *, name="danh-sach.csv", kind="donations", content=None):
    body = content if content is not None else (HEADER + "".join(rows)).encode("utf-8")
    return client.post("/imports", data={"csrftoken": csrf, "kind": kind}, files={"file": (name, body, "text/csv")})


def _run(site) -> ImportRun:
    with session_scope(site["engine"]) as session:
        return session.exec(select(ImportRun).order_by(ImportRun.id.desc())).first()


def _counts(site) -> tuple[int, int]:
    with session_scope(site["engine"]) as session:
        return (session.exec(select(func.count()).select_from(Donor)).one(),
                session.exec(select(func.count()).select_from(Donation)).one())


def test_a_bad_row_is_listed_with_its_line_column_and_reason_and_nothing_is_saved(site):
    client, csrf = _client(site, "coordinator")
    uploaded = _upload(client, csrf, GOOD + [BAD])
    assert uploaded.status_code == 303
    token = uploaded.headers["location"].rsplit("/", 1)[1]
    assert len(token) >= 40  # unguessable
    page = client.get(f"/imports/{token}")
    assert page.status_code == 200 and 'id="confirm"' in page.text
    refused = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>",
                         page.text.split('id="refused"')[1])
    reason = _vietnamese(BLOOD_GROUP_REASON, raw="X").replace("'", "&#39;")
    assert refused == [("4", "Nhóm máu", reason)] and "không phải nhóm máu" in reason  # in Vietnamese
    assert "Ghi chú riêng" in page.text.split('id="unknown-columns"')[1]  # the column not recognised
    assert "Dòng" in page.text and "dòng đã đọc" in page.text  # the page speaks Vietnamese
    assert _counts(site) == (0, 0)
    run = _run(site)
    assert run.status == ImportStatus.checked and (run.rows_read, run.imported, run.rejected_rows) == (3, 2, 1)
    folder = site["uploads"] / token
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert oct((folder / "danh-sach.csv").stat().st_mode & 0o777) == "0o600"


def test_confirm_needs_the_explicit_choice_then_imports_only_the_good_rows(site):
    client, csrf = _client(site, "coordinator")
    token = _upload(client, csrf, GOOD + [BAD]).headers["location"].rsplit("/", 1)[1]
    refused = client.post(f"/imports/{token}/confirm", data={"csrftoken": csrf})
    assert refused.status_code == 422 and 'id="confirm-error"' in refused.text
    assert _counts(site) == (0, 0)
    confirmed = client.post(f"/imports/{token}/confirm", data={"csrftoken": csrf, "skip_invalid": "yes"})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == f"/imports/{token}"
    ended = client.get(f"/imports/{token}")
    assert ended.status_code == 303 and ended.headers["location"] == f"/imports?run={token}"
    history = client.get(ended.headers["location"])
    assert 'id="ended"' in history.text and "đã lưu" in history.text
    assert _counts(site) == (2, 2)
    row = re.search(rf'<tr id="run-{token[:8]}">(.*?)</tr>', history.text, re.DOTALL).group(1)
    assert "coordinator" in row and "danh-sach.csv" in row and "01/06/2026 10:00" in row  # Vietnam's time
    assert re.findall(r"<td>(\d*)</td>", row) == ["3", "2", "1", "0"]  # read, imported, refused, repeated
    assert not (site["uploads"] / token).exists()  # the file is not kept
    with session_scope(site["engine"]) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "import.donations")).one()
    assert entry.actor == "user:coordinator" and entry.detail["imported"] == 2


def test_a_fixed_file_imports_every_row_and_cancel_deletes_an_upload(site):
    client, csrf = _client(site, "coordinator")
    first = _upload(client, csrf, GOOD + [BAD]).headers["location"].rsplit("/", 1)[1]
    cancelled = client.post(f"/imports/{first}/cancel", data={"csrftoken": csrf})
    assert cancelled.status_code == 303 and not (site["uploads"] / first).exists()
    assert client.post(f"/imports/{first}/confirm", data={"csrftoken": csrf, "skip_invalid": "yes"}) \
        .headers["location"] == f"/imports/{first}"  # nothing to confirm any more
    token = _upload(client, csrf, GOOD + [FIXED], name="danh-sach-da-sua.csv").headers["location"].rsplit("/", 1)[1]
    preview = client.get(f"/imports/{token}").text
    assert 'id="refused"' not in preview and 'id="skip-invalid"' not in preview
    client.post(f"/imports/{token}/confirm", data={"csrftoken": csrf})
    assert _counts(site) == (3, 3)
    run = _run(site)
    assert (run.status, run.written, run.imported, run.rejected_rows) == (ImportStatus.done, True, 3, 0)
    history = client.get("/imports").text
    assert history.count("<tr id=\"run-") == 2 and "đã huỷ" in history


def test_an_over_limit_or_non_spreadsheet_upload_is_a_plain_error(site):
    client, csrf = _client(site, "coordinator")
    large = (HEADER + GOOD[0] * 20_000).encode("utf-8")  # over the 1 MB configured
    too_large = _upload(client, csrf, [], content=large)
    assert too_large.status_code == 413 and "1 MB" in re.search(r'id="upload-error">([^<]+)', too_large.text).group(1)
    picture = _upload(client, csrf, [], name="anh.png", content=b"\x89PNG\r\n\x1a\n" + bytes(range(64)))
    assert picture.status_code == 422 and ".xlsx" in re.search(r'id="upload-error">([^<]+)', picture.text).group(1)
    disguised = _upload(client, csrf, [], name="anh.csv", content=b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(1, 65)))
    assert disguised.status_code == 422 and 'id="upload-error"' in disguised.text
    no_file = client.post("/imports", data={"csrftoken": csrf, "kind": "donations"})
    assert no_file.status_code == 422
    assert _run(site) is None and list(site["uploads"].iterdir()) == []  # nothing kept (but no lock files)


def test_a_viewer_is_refused_and_another_chapter_never_sees_the_run(site):
    coordinator, csrf = _client(site, "coordinator")
    token = _upload(coordinator, csrf, GOOD).headers["location"].rsplit("/", 1)[1]
    viewer, viewer_csrf = _client(site, "viewer")
    assert viewer.get("/imports").status_code == 403
    assert _upload(viewer, viewer_csrf, GOOD).status_code == 403
    assert viewer.get(f"/imports/{token}").status_code == 403
    stranger, stranger_csrf = _client(site, "stranger")
    assert stranger.get(f"/imports/{token}").status_code == 404
    assert stranger.post(f"/imports/{token}/confirm", data={"csrftoken": stranger_csrf}).status_code == 404
    assert "danh-sach.csv" not in stranger.get("/imports").text
    admin, _ = _client(site, "admin")
    assert admin.get(f"/imports/{token}").status_code == 200 and "danh-sach.csv" in admin.get("/imports").text
    assert _counts(site) == (0, 0)


def test_the_background_job_shows_its_progress_and_ends_in_the_history(site):
    gate, executor, futures = threading.Event(), ThreadPoolExecutor(max_workers=1), []

    def held(job):
        def run():
            assert gate.wait(timeout=60)
            job()
        futures.append(executor.submit(run))

    site["app"].state.import_runner = held
    client, csrf = _client(site, "coordinator")
    token = _upload(client, csrf, GOOD + [FIXED]).headers["location"].rsplit("/", 1)[1]
    checking = client.get(f"/imports/{token}")
    assert checking.status_code == 200 and checking.headers["refresh"] == "2"
    assert '<meta http-equiv="refresh" content="2">' in checking.text and '<progress id="progress"' in checking.text
    busy = _upload(client, csrf, GOOD)  # one import at a time per chapter
    assert busy.status_code == 409 and 'id="upload-error"' in busy.text
    gate.set()
    futures[-1].result(timeout=60)
    client.post(f"/imports/{token}/confirm", data={"csrftoken": csrf})
    futures[-1].result(timeout=60)
    ended = client.get(f"/imports/{token}")
    assert ended.headers["location"] == f"/imports?run={token}"
    row = re.search(rf'<tr id="run-{token[:8]}">(.*?)</tr>', client.get("/imports").text, re.DOTALL).group(1)
    assert re.findall(r"<td>(\d*)</td>", row) == ["3", "3", "0", "0"]
    assert _counts(site) == (3, 3)
    executor.shutdown()


def test_a_run_whose_job_was_lost_is_marked_failed(site):
    site["app"].state.import_runner = lambda job: job.keywords["lock"].release()  # the process "stopped"
    client, csrf = _client(site, "coordinator")
    token = _upload(client, csrf, GOOD).headers["location"].rsplit("/", 1)[1]
    ended = client.get(f"/imports/{token}")
    assert ended.status_code == 303
    assert _run(site).status == ImportStatus.failed and not (site["uploads"] / token).exists()
    site["app"].state.import_runner = lambda job: job()
    assert _upload(client, csrf, GOOD).status_code == 303  # the chapter is free again


def test_an_upload_without_its_csrf_token_first_is_refused_and_keeps_nothing(site):
    client, csrf = _client(site, "coordinator")
    body = (HEADER + GOOD[0]).encode("utf-8")
    for data in ({"kind": "donations"}, {"csrftoken": "forged.token", "kind": "donations"}):
        forged = client.post("/imports", data=data, files={"file": ("danh-sach.csv", body, "text/csv")})
        assert forged.status_code == 403 and "Biểu mẫu đã hết hạn" in forged.text
    # The token after the file: the file would be read before the form is known to be ours.
    boundary = "b0undary"
    late = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
            f"{HEADER}{GOOD[0]}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"csrftoken\"\r\n\r\n"
            f"{csrf}\r\n--{boundary}--\r\n").encode()
    refused = client.post("/imports", content=late,
                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert refused.status_code == 403
    assert _run(site) is None and not (site["uploads"].exists() and any(site["uploads"].iterdir()))
    boundary = "----WebKitFormBoundaryQx7Zr"  # as Chromium writes it: the boundary's case matters
    ours = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrftoken\"\r\n\r\n{csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ndonors\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n"
            f"{HEADER}{GOOD[0]}\r\n--{boundary}--\r\n").encode()
    accepted = client.post("/imports", content=ours,
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert accepted.status_code == 303 and _run(site).kind == "donors"


def test_every_refused_row_is_shown_a_hundred_a_page(site):
    client, csrf = _client(site, "coordinator")
    bad = [f"Người Thứ {n},1988,Nam,X,09120{n:05d},01/03/2026,350,\n" for n in range(150)]
    token = _upload(client, csrf, bad).headers["location"].rsplit("/", 1)[1]
    first, second = client.get(f"/imports/{token}"), client.get(f"/imports/{token}?page=2")
    lines = [re.findall(r"<tr><td>(\d+)</td>", page.text.split('id="refused"')[1]) for page in (first, second)]
    assert lines[0] == [str(n) for n in range(2, 102)] and lines[1] == [str(n) for n in range(102, 152)]
    assert "Trang 1/2" in first.text and 'id="next-page"' in first.text and 'id="next-page"' not in second.text
    assert client.get(f"/imports/{token}?page=99").text.count("<tr><td>") == 50  # the last page


def test_an_xlsx_donor_list_is_checked_and_imported(site):
    book = Workbook()
    sheet = book.active
    sheet.append(["HỘI CHỮ THẬP ĐỎ TỈNH CẦN THƠ"])  # a title row above the header
    sheet.append(["Họ và tên", "Năm sinh", "Nhóm máu", "SĐT"])
    sheet.append(["Phạm Thị Lan", 1992, "A+", "0912000011"])
    sheet.append(["Võ Văn Tú", 1970, "O-", "0912000012"])
    content = io.BytesIO()
    book.save(content)
    client, csrf = _client(site, "coordinator")
    uploaded = _upload(client, csrf, [], name="Danh sách.XLSX", kind="donors", content=content.getvalue())
    token = uploaded.headers["location"].rsplit("/", 1)[1]
    preview = client.get(f"/imports/{token}").text
    assert "Danh sách.xlsx" in preview and "người hiến sẽ nhập (chưa lưu gì)" in preview
    client.post(f"/imports/{token}/confirm", data={"csrftoken": csrf})
    assert _counts(site) == (2, 0)
    with session_scope(site["engine"]) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "import.donors")).one()
    assert entry.actor == "user:coordinator" and entry.detail["file"] == "Danh sách.xlsx"


def test_a_check_that_fails_ends_in_the_history_with_the_reason(site):
    client, csrf = _client(site, "coordinator")
    token = _upload(client, csrf, []).headers["location"].rsplit("/", 1)[1]  # a header and no rows
    ended = client.get(f"/imports/{token}")
    assert ended.status_code == 303 and ended.headers["location"] == f"/imports?run={token}"
    history = client.get(ended.headers["location"]).text
    error = re.search(r'id="run-error">([^<]+)', history).group(1)
    assert "danh-sach.csv" in error and "dòng 1" in error and "dừng do lỗi" in history
    assert _run(site).status == ImportStatus.failed and not (site["uploads"] / token).exists()
