"""The import page's upload folder: safe file names, the size bound, the chapter lock."""

import io

import pytest

from donor_registry.errors import UserError
from donor_registry.importing import uploads


@pytest.mark.parametrize(("sent", "kept"), [
    ("../../etc/danh-sach.csv", "danh-sach.csv"), ("C:\\Users\\Lan\\Danh sách.XLSX", "Danh sách.xlsx"),
    (".an.csv", "an.csv"), ("a\x00b.csv", "a_b.csv"), ("?.csv", "_.csv"), ("x" * 300 + ".csv", "x" * 100 + ".csv"),
])
def test_a_sent_file_name_is_kept_without_folders_or_control_characters(sent, kept):
    assert uploads.safe_name(sent) == kept


@pytest.mark.parametrize("sent", ["a.xls", "a.png", "a", "", None, "a.csv.exe"])
def test_only_csv_and_xlsx_names_are_taken(sent):
    with pytest.raises(UserError):
        uploads.safe_name(sent)


def test_an_upload_over_the_bound_keeps_nothing(tmp_path):
    with pytest.raises(uploads.TooLarge):
        uploads.save(tmp_path, "t", "a.csv", io.BytesIO(b"x" * 2049), max_bytes=2048)
    assert list(tmp_path.iterdir()) == []
    path = uploads.save(tmp_path, "u", "a.csv", io.BytesIO(b"x" * 2048), max_bytes=2048)
    assert path.read_bytes() == b"x" * 2048 and oct(path.stat().st_mode & 0o777) == "0o600"


def test_one_run_holds_a_chapters_lock_until_it_releases_it(tmp_path):
    first, second = uploads.ChapterLock(tmp_path, 7), uploads.ChapterLock(tmp_path, 7)
    assert first.holder() is None and first.acquire("run-a")
    assert not second.acquire("run-b") and second.holder() == "run-a"
    assert uploads.ChapterLock(tmp_path, None).acquire("run-c")  # another chapter (the whole registry)
    first.release()
    assert second.holder() is None and second.acquire("run-b")
    second.release()
