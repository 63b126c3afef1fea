"""Which donors a search finds within a chapter's reach: without diacritics, several words, by
phone, a page limit; every query plan (seeking each chapter's names, walking names in order,
the word index, the walk) gives the same donors, and never one of another chapter."""

import pytest

from donor_registry.chapters.service import create_chapter
from donor_registry.donors import positions, search
from donor_registry.donors.models import Donor, DonorCreate
from donor_registry.donors.service import create_donor, find_donors
from tests.service.test_find_positions import forced

# name, chapter (None: no chapter), phone
PEOPLE = [
    ("Nguyễn Văn An", "ward", None),
    ("Nguyễn Thị Hoa", "home", None),
    ("Nguyễn Thị Hòa", "other", "0912345678"),
    ("Trần Nguyên Anh", "home", None),
    ("Ngô Bảo Châu", "home", None),
    ("Lê Thị Ngọc", "ward", None),
    ("Hoàng Ngân", "other", None),
    ("Đặng Đức Hòa", "home", "0987654321"),
    ("An Nguyễn", "home", None),
    ("Nguyễn Văn Anh", None, None),
]

# reach (chapters as named in `tree`; None: the whole registry), query -> the names, in order.
EXPECTED = [
    ("home", "ng", ["Ngô Bảo Châu", "Nguyễn Thị Hoa", "Nguyễn Văn An", "An Nguyễn", "Lê Thị Ngọc",
                    "Trần Nguyên Anh"]),
    ("home", "nguyen an", ["An Nguyễn", "Nguyễn Văn An", "Trần Nguyên Anh"]),
    ("home", "an nguyen", ["An Nguyễn", "Nguyễn Văn An", "Trần Nguyên Anh"]),
    ("home", "hoa", ["Đặng Đức Hòa", "Nguyễn Thị Hoa"]),
    ("home", "DANG duc", ["Đặng Đức Hòa"]),
    ("home", "Nguyễn Thị", ["Nguyễn Thị Hoa"]),
    ("home", "nguyen thi hoa", ["Nguyễn Thị Hoa"]),
    ("home", "ngoc le", ["Lê Thị Ngọc"]),
    ("home", "ngan", []),
    ("home", "0912 345 678", []),
    ("home", "+84 987 654 321", ["Đặng Đức Hòa"]),
    ("ward", "ng", ["Nguyễn Văn An", "Lê Thị Ngọc"]),
    ("ward", "hoa", []),
    ("other", "ng", ["Nguyễn Thị Hòa", "Hoàng Ngân"]),
    ("other", "hoa", ["Hoàng Ngân", "Nguyễn Thị Hòa"]),
    ("other", "nguyen thi hoa", ["Nguyễn Thị Hòa"]),
    ("other", "0912345678", ["Nguyễn Thị Hòa"]),
    (None, "nguyen van", ["Nguyễn Văn An", "Nguyễn Văn Anh"]),
    (None, "nguyen thi hoa", ["Nguyễn Thị Hoa", "Nguyễn Thị Hòa"]),
    (None, "anh", ["Nguyễn Văn Anh", "Trần Nguyên Anh"]),
]


@pytest.fixture
def tree(session, now):
    """VN ─ home province ─ a ward below it;  VN ─ another province. Name -> chapter id."""
    add = lambda **kw: create_chapter(session=session, now=now, **kw).id
    vn = add(kind="national")
    home = add(kind="province", parent_id=vn, province_code="92")
    ward = add(kind="commune", parent_id=home, commune_code="31507")
    other = add(kind="province", parent_id=vn, province_code="15")
    for name, chapter, phone in PEOPLE:
        donor = create_donor(session=session, data=DonorCreate(full_name=name, phone_e164=phone), now=now)
        donor.chapter_id = {"home": home, "ward": ward, "other": other, None: None}[chapter]
    session.commit()
    return {"home": frozenset({home, ward}), "ward": frozenset({ward}), "other": frozenset({other}), None: None}


@pytest.fixture(params=["seek each chapter", "walk names in order"])
def chapter_plan(request, monkeypatch):
    if request.param == "walk names in order":
        monkeypatch.setattr(search, "CHAPTER_SEEKS", 0)
    return request.param


@pytest.fixture(params=["word index", "walk", "word index by position", "walk by position"])
def word_plan(request, monkeypatch):
    if request.param.startswith("walk"):
        monkeypatch.setattr(search, "RARE_WORD_DONORS", 0)
    if request.param.endswith("by position"):  # each word's range and the marked later entries
        monkeypatch.setattr(positions, "plan", forced(positions.INTERSECT))
    return request.param


def names(session, reach, query, limit=50):
    return [d.full_name for d in find_donors(session=session, query=query, limit=limit, chapters=reach)]


@pytest.mark.parametrize(("reach", "query", "expected"), EXPECTED)
def test_found_within_reach_in_rank_order(session, tree, chapter_plan, word_plan, reach, query, expected):
    assert names(session, tree[reach], query) == expected


def test_a_page_is_the_first_donors_in_rank_order(session, tree, chapter_plan):
    assert names(session, tree["home"], "ng", limit=2) == ["Ngô Bảo Châu", "Nguyễn Thị Hoa"]
    assert names(session, tree["home"], "ng", limit=4) == ["Ngô Bảo Châu", "Nguyễn Thị Hoa", "Nguyễn Văn An",
                                                           "An Nguyễn"]


def test_no_chapter_in_reach_finds_nobody(session, tree, chapter_plan):
    assert names(session, frozenset(), "ng") == []
    assert names(session, frozenset(), "0912345678") == []


def test_nobody_of_another_chapter_is_ever_found(session, tree, chapter_plan, word_plan):
    for reach in ("home", "ward", "other"):
        for prefix in ("n", "ng", "ngu", "a", "an", "h", "hoa", "t", "l", "d", "nguyen t", "nguyen v"):
            found = find_donors(session=session, query=prefix, limit=50, chapters=tree[reach])
            assert {d.chapter_id for d in found} <= tree[reach], (reach, prefix)


def test_merged_donors_are_not_found_within_a_chapter(session, tree, chapter_plan):
    hoa = session.query(Donor).filter(Donor.full_name == "Nguyễn Thị Hoa").one()
    hoa.merged_into_id = session.query(Donor).filter(Donor.full_name == "An Nguyễn").one().id
    session.commit()
    assert names(session, tree["home"], "nguyen thi") == []
