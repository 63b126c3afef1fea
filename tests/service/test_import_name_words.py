"""The name words of imported donors: SQLite writes the rows Python worked out, PostgreSQL works
them out in SQL from the moved donors' folded names (importing/staging.py, move_name_words).
Names with a word twice, a word of marks only and a word longer than the column must give the
same entries on both engines, and those of donors.name_words.words_of."""

import pytest
from sqlalchemy import text
from sqlmodel import Session

from donor_registry.db import make_engine
from donor_registry.donors.name_words import LATER
from donor_registry.importing.service import import_donations
from tests.conftest import sqlite_copy
from tests.service.test_import import write_csv
from tests.service.test_import_engines import HEADERS

LONG = "Nguyễn " + "Thiênnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" + " Ân"  # 60 letters
NAMES = ["Lê Thị Thị Lan", "Trần  Văn \u0301 Bình", LONG, "Hà", "Đặng Đặng"]
# Written out by hand from the folded names (no diacritics, lower case): each distinct word, and
# LATER + each word after the first, cut to 50 characters.
CUT = "thien" + "n" * 45
EXPECTED = {
    "Lê Thị Thị Lan": {"le", "thi", "lan", LATER + "thi", LATER + "lan"},
    "Trần Văn \u0301 Bình": {"tran", "van", "binh", LATER + "van", LATER + "binh"},
    LONG: {"nguyen", CUT, "an", (LATER + CUT)[:50], LATER + "an"},
    "Hà": {"ha"},
    "Đặng Đặng": {"dang", LATER + "dang"},
}


def _import(url: str, path, now, rules) -> dict[str, set[str]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            report = import_donations(session=session, path=path, rules=rules, now=now, today=now.date())
            session.commit()
            assert report.created == len(NAMES), report.rejected
            rows = session.execute(text("SELECT d.full_name, w.word FROM donor_name_words w"
                                        " JOIN donors d ON d.id = w.donor_id")).all()
    finally:
        engine.dispose()
    words: dict[str, set[str]] = {}
    for name, word in rows:
        words.setdefault(name, set()).add(word)
    return words


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_imported_donors_name_words(engine, tmp_path, sqlite_template, request, now, rules):
    rows = [[name, str(1980 + i), "Nữ", "O+", f"09130000{i:02d}", "", "", "01/03/2026", "", "", f"W-{i}"]
            for i, name in enumerate(NAMES)]
    path = write_csv(tmp_path / "names.csv", rows, headers=HEADERS)
    url = (sqlite_copy(sqlite_template, tmp_path) if engine == "sqlite"
           else request.getfixturevalue("postgres_db_url"))
    words = _import(url, path, now, rules)
    stored = {" ".join(name.split()): found for name, found in words.items()}
    assert stored == {" ".join(name.split()): expected for name, expected in EXPECTED.items()}
