"""`donors find` through the name word index: rare and common words, merges, renames, imports."""

import csv

import pytest
from sqlalchemy import select, text

from donor_registry.db import make_engine, upgrade
from donor_registry.donors import search
from donor_registry.donors.duplicates import merge_donors
from donor_registry.donors.models import DonorCreate, DonorNameWord, DonorUpdate
from donor_registry.donors.name_words import LATER, words_of
from donor_registry.donors.service import create_donor, find_donors, update_donor
from donor_registry.importing.service import import_donors


def add(session, now, name):
    return create_donor(session=session, data=DonorCreate(full_name=name), now=now)


def found(session, query):
    return [donor.full_name for donor in find_donors(session=session, query=query)]


def words_in_index(session, donor_id):
    return set(session.scalars(select(DonorNameWord.word).where(DonorNameWord.donor_id == donor_id)))


@pytest.fixture
def crowd(session, now):
    """Five Nguyễn Văn donors (common words once the rare limit is 3) and two rarer names."""
    for given in ("An", "Bình", "Cường", "Dũng", "Anh"):
        add(session, now, f"Nguyễn Văn {given}")
    add(session, now, "Lê Thị Hoa")
    add(session, now, "Trần Hoàng An")
    session.commit()


@pytest.fixture
def rare_limit(monkeypatch):
    monkeypatch.setattr(search, "RARE_WORD_DONORS", 3)


def test_rare_word_narrows_and_whole_words_come_first(session, crowd, rare_limit):
    assert found(session, "an") == ["Nguyễn Văn An", "Trần Hoàng An", "Nguyễn Văn Anh"]
    assert found(session, "nguyen an") == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    assert found(session, "HOÀ lê") == ["Lê Thị Hoa"]


def test_common_words_only_walk_names_in_order(session, crowd, rare_limit):
    assert found(session, "van nguyen") == [
        "Nguyễn Văn An", "Nguyễn Văn Anh", "Nguyễn Văn Bình", "Nguyễn Văn Cường", "Nguyễn Văn Dũng"]
    assert found(session, "ng v") == found(session, "nguyen van")


def test_a_family_name_finds_its_range_of_names_while_no_one_has_it_later(session, now, rules, rare_limit):
    """'thanh vu', both words common: while 'vu' is only ever a first word, the matches are the
    names starting with it (one range of the names index, first_words); once a donor has it
    later in the name, the walk of every name finds that donor too, and after a rename or a
    merge takes it away the range is enough again. Ranked as the walk ranks: name order."""
    for name in ("Vũ Văn Thành", "Vũ Thị Lan", "Vũ Thị Hoa", "Vũ Minh Thành", "Lê Thanh Hà", "Trần Văn Thành"):
        add(session, now, name)
    session.commit()
    assert found(session, "thanh vu") == ["Vũ Minh Thành", "Vũ Văn Thành"]
    later = add(session, now, "Đỗ Thanh Vũ")
    session.commit()
    assert found(session, "thanh vu") == ["Đỗ Thanh Vũ", "Vũ Minh Thành", "Vũ Văn Thành"]
    update_donor(session=session, donor_id=later.id, changes=DonorUpdate(full_name="Đỗ Thanh Vĩnh"), now=now)
    session.commit()
    assert found(session, "thanh vu") == ["Vũ Minh Thành", "Vũ Văn Thành"]
    twin = add(session, now, "Bùi Vũ Thành")
    keep = add(session, now, "Bùi Vũ Thành")
    session.commit()
    assert found(session, "thanh vu") == ["Bùi Vũ Thành", "Bùi Vũ Thành", "Vũ Minh Thành", "Vũ Văn Thành"]
    merge_donors(session=session, keep_id=keep.id, duplicate_id=twin.id, rules=rules, now=now, command="t")
    session.commit()
    assert found(session, "thanh vu") == ["Bùi Vũ Thành", "Vũ Minh Thành", "Vũ Văn Thành"]


@pytest.mark.parametrize("query", ["xyz", "nguyen xyz", "van hoa", "an%", "a_"])
def test_no_match_on_either_path(session, crowd, rare_limit, query):
    assert found(session, query) == []


@pytest.mark.parametrize("limit", [3, 2_000])
def test_merged_duplicate_is_not_found_and_leaves_no_words(session, now, rules, monkeypatch, limit):
    monkeypatch.setattr(search, "RARE_WORD_DONORS", limit)
    keep = add(session, now, "Phạm Minh Tuấn")
    duplicate = add(session, now, "Phạm Minh Tuấn")
    for _ in range(4):
        add(session, now, "Phạm Minh Khôi")
    merge_donors(session=session, keep_id=keep.id, duplicate_id=duplicate.id, rules=rules, now=now, command="t")
    session.commit()
    assert [donor.id for donor in find_donors(session=session, query="minh tuan")] == [keep.id]
    assert words_in_index(session, duplicate.id) == set()
    assert words_in_index(session, keep.id) == {"pham", "minh", "tuan", LATER + "minh", LATER + "tuan"}


def test_renaming_a_donor_changes_its_words(session, now, crowd):
    donor = add(session, now, "Đỗ Thu Hà")
    update_donor(session=session, donor_id=donor.id, changes=DonorUpdate(full_name="Đỗ Thu Hằng"), now=now)
    session.commit()
    assert words_in_index(session, donor.id) == {"do", "thu", "hang", LATER + "thu", LATER + "hang"}
    assert found(session, "ha do") == ["Đỗ Thu Hằng"]  # 'ha' is a prefix of 'hang'
    update_donor(session=session, donor_id=donor.id, changes=DonorUpdate(full_name="Đỗ Lan"), now=now)
    session.commit()
    assert found(session, "thu") == []
    assert found(session, "lan do") == ["Đỗ Lan"]


def test_import_indexes_the_donors_it_creates(session, now, tmp_path):
    path = tmp_path / "donors.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([["Họ và tên"], ["Võ Thị Mai"], ["Võ Thị Mai Anh"]])
    import_donors(session=session, path=path, now=now, today=now.date())
    session.commit()
    assert found(session, "mai vo") == ["Võ Thị Mai", "Võ Thị Mai Anh"]
    assert found(session, "anh") == ["Võ Thị Mai Anh"]


def test_migration_fills_words_of_existing_donors(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001_registry")
    with engine.begin() as conn:
        for name_folded, merged in (("ngo bao chau", None), ("ngo bao", 1)):
            conn.execute(text(
                "INSERT INTO donors (full_name, sex, phone_sms_capable, standby, donation_count, name_folded,"
                " merged_into_id, created_at, updated_at) VALUES (:name, 'unknown', 0, 0, 0, :name, :merged,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"), {"name": name_folded, "merged": merged})
    upgrade(engine)
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT donor_id, word FROM donor_name_words")))
    engine.dispose()
    assert rows == {(1, word) for word in words_of("ngo bao chau")}
    assert rows == {(1, "ngo"), (1, "bao"), (1, "chau"), (1, LATER + "bao"), (1, LATER + "chau")}
