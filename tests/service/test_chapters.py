"""The chapter tree: kinds under the right parents, moves, subtrees, finding by code or name."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import Session

from donor_registry.chapters import service
from donor_registry.chapters.models import Chapter, ChapterKind
from donor_registry.errors import Conflict, NotFound, UserError
from donor_registry.i18n import use_language
from donor_registry.places import units


@pytest.fixture(autouse=True)
def _english():
    with use_language("en"):
        yield


def _tree(session, now):
    """VN ─ 92 (Cần Thơ) ─ 31507 (P. Sóc Trăng) ─ a school under the ward
            └ a hospital chapter under 92;  VN ─ 15 (Lào Cai)."""
    add = lambda **kw: service.create_chapter(session=session, now=now, **kw)
    vn = add(kind="national")
    can_tho = add(kind="province", name="Hội Chữ thập đỏ thành phố Cần Thơ", parent_id=vn.id, province_code="92")
    ward = add(kind="commune", name="Hội Chữ thập đỏ phường Sóc Trăng", parent_id=can_tho.id, commune_code="31507")
    school = add(kind="school", name="Trường THPT Hoàng Diệu", parent_id=ward.id)
    hospital = add(kind="hospital", name="Bệnh viện Đa khoa Trung ương Cần Thơ", parent_id=can_tho.id)
    lao_cai = add(kind="province", name="Hội Chữ thập đỏ tỉnh Lào Cai", parent_id=vn.id, province_code="15")
    return vn, can_tho, ward, school, hospital, lao_cai


def test_codes_paths_and_subtrees(session, now):
    vn, can_tho, ward, school, hospital, lao_cai = _tree(session, now)
    assert [c.code for c in (vn, can_tho, ward)] == ["VN", "VN-92", "VN-92-31507"]
    assert school.code == f"VN-92-31507-{school.id}"
    assert (school.province_code, school.commune_code) == ("92", "31507")
    assert school.path == f"/{vn.id}/{can_tho.id}/{ward.id}/{school.id}/"
    assert sorted(service.subtree_ids(session=session, chapter_id=can_tho.id)) == sorted(
        [can_tho.id, ward.id, school.id, hospital.id])
    assert service.subtree_ids(session=session, chapter_id=lao_cai.id) == [lao_cai.id]
    assert len(service.subtree_ids(session=session, chapter_id=vn.id)) == 6
    assert service.is_within(session=session, chapter_id=school.id, ancestor_id=can_tho.id)
    assert not service.is_within(session=session, chapter_id=school.id, ancestor_id=lao_cai.id)
    assert [c.id for c in service.list_chapters(session=session)] == [
        vn.id, can_tho.id, ward.id, school.id, hospital.id, lao_cai.id]


def test_a_sibling_with_a_longer_id_is_not_in_the_subtree(session, now):
    """/1/2/ must not take /1/20/: the range ends at the slash, not at the digit."""
    vn = service.create_chapter(session=session, now=now, kind="national")
    for province in units.provinces():  # ids 2 … 35
        service.create_chapter(session=session, now=now, kind="province", parent_id=vn.id, province_code=province.code)
    assert service.subtree_ids(session=session, chapter_id=2) == [2]  # /1/2/, not /1/20/ … /1/29/
    assert len(service.subtree_ids(session=session, chapter_id=vn.id)) == 35


@pytest.mark.parametrize("kind, parent, extra, message", [
    ("province", None, {"province_code": "92"}, "needs a parent"),
    ("commune", "VN", {"commune_code": "31508"}, "cannot sit under VN"),
    ("school", "VN", {"name": "Trường"}, "cannot sit under VN"),
    ("province", "VN-92", {"province_code": "93"}, "cannot sit under VN-92"),
    ("national", None, {}, "already a national chapter"),
    ("province", "VN", {"province_code": "92"}, "92 already has a chapter"),
    ("commune", "VN-92", {"commune_code": "31507"}, "31507 already has a chapter"),
    ("province", "VN", {"province_code": "9"}, "no province or city is called “9”"),
    ("province", "VN", {"province_code": "Yên Bái"}, "no province or city is called “Yên Bái” since 2025-07-01"),
    ("commune", "VN-92", {"commune_code": "Ba Đình"}, "no commune or ward of Thành phố Cần Thơ is called “Ba Đình”"),
    ("commune", "VN-92", {"commune_code": "00004"}, "no commune or ward of Thành phố Cần Thơ is called “00004”"),
    ("commune", "VN-92", {}, "needs its commune"),
    ("school", "VN-92", {}, "needs a name"),
    ("school", "VN-92", {"name": "X", "code": "VN-92"}, "code VN-92 is already used"),
    ("school", "VN-92", {"name": "X", "code": "has space"}, "without spaces"),
])
def test_wrong_chapters_are_refused_and_nothing_is_written(session, now, kind, parent, extra, message):
    _tree(session, now)
    before = session.scalars(select(Chapter.id)).all()
    parent_id = service.find_chapter(session=session, text=parent).id if parent else None
    with pytest.raises((UserError, Conflict)) as raised:
        service.create_chapter(session=session, now=now, kind=kind, parent_id=parent_id, **extra)
    assert message in str(raised.value)
    assert session.scalars(select(Chapter.id)).all() == before


def test_move_takes_the_whole_subtree(session, now):
    vn, can_tho, ward, school, hospital, lao_cai = _tree(session, now)
    moved = service.move_chapter(session=session, now=now, chapter_id=hospital.id, parent_id=lao_cai.id)
    assert (moved.parent_id, moved.province_code, moved.path) == (lao_cai.id, "15", f"/{vn.id}/{lao_cai.id}/{hospital.id}/")
    # A commune chapter keeps its province: it may not move to another province's chapter.
    with pytest.raises(UserError, match="belongs to province 92"):
        service.move_chapter(session=session, now=now, chapter_id=ward.id, parent_id=lao_cai.id)
    with pytest.raises(UserError, match="under itself"):
        service.move_chapter(session=session, now=now, chapter_id=can_tho.id, parent_id=school.id)
    school_moved = service.move_chapter(session=session, now=now, chapter_id=school.id, parent_id=can_tho.id)
    assert school_moved.path == f"/{vn.id}/{can_tho.id}/{school.id}/"
    assert (school_moved.province_code, school_moved.commune_code) == ("92", None)
    assert sorted(service.subtree_ids(session=session, chapter_id=ward.id)) == [ward.id]


def test_find_by_code_id_and_name_with_or_without_diacritics(session, now):
    _vn, can_tho, _ward, school, _hospital, lao_cai = _tree(session, now)
    assert service.find_chapter(session=session, text="vn-92").id == can_tho.id
    assert service.find_chapter(session=session, text=f"#{school.id}").id == school.id
    assert service.find_chapter(session=session, text="hoi chu thap do tinh lao cai").id == lao_cai.id
    assert service.find_chapter(session=session, text="Hoàng Diệu").id == school.id
    with pytest.raises(UserError, match="fits several chapters: VN-92 .*; VN-92-.*give the code"):
        service.find_chapter(session=session, text="Cần Thơ")
    with pytest.raises(NotFound, match="did you mean: VN-15 Hội Chữ thập đỏ tỉnh Lào Cai"):
        service.find_chapter(session=session, text="hoi chu thap do tinh lao kai")
    with pytest.raises(NotFound, match="no chapter #999"):
        service.find_chapter(session=session, text="#999")


def test_province_and_commune_chapters_take_the_units_names_and_codes(session, now):
    vn = service.create_chapter(session=session, now=now, kind="national")
    lao_cai = service.create_chapter(session=session, now=now, kind="province", parent_id=vn.id, province_code="Lào Cai")
    assert (lao_cai.code, lao_cai.province_code, lao_cai.name) == ("VN-15", "15", "Hội Chữ thập đỏ tỉnh Lào Cai")
    ward = service.create_chapter(session=session, now=now, kind="commune", parent_id=lao_cai.id, commune_code="phuong yen bai")
    assert (ward.commune_code, ward.name) == ("04252", "Hội Chữ thập đỏ phường Yên Bái")


def test_the_place_of_an_address_picks_the_nearest_chapter(session, now):
    _vn, can_tho, ward, *_ = _tree(session, now)
    assert service.chapter_for_place(session=session, province_code="92", commune_code="31507").id == ward.id
    assert service.chapter_for_place(session=session, province_code="92", commune_code="31510").id == can_tho.id
    assert service.chapter_for_place(session=session, province_code="01", commune_code=None) is None


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=12))
def test_subtrees_agree_with_the_parent_links_after_any_moves(engine, now, moves):
    """Property: after any sequence of moves (refused ones change nothing), the subtree of each
    chapter is exactly the chapters whose parent chain reaches it."""
    with Session(engine) as session:
        vn = service.create_chapter(session=session, now=now, kind="national")
        provinces = [service.create_chapter(session=session, now=now, kind="province", name=f"P{n}",
                                            parent_id=vn.id, province_code=code) for n, code in enumerate(("01", "04", "08"))]
        units = [service.create_chapter(session=session, now=now, kind=kind, name=f"U{i}",
                                        parent_id=provinces[i % 3].id)
                 for i, kind in enumerate(["school", "agency", "company", "hospital", "school"])]
        movable = provinces + units
        for a, b in moves:
            try:
                service.move_chapter(session=session, now=now, chapter_id=movable[a].id,
                                     parent_id=movable[b % len(movable)].id)
            except UserError:
                pass
        chapters = {c.id: c for c in session.scalars(select(Chapter))}
        for root in chapters.values():
            expected = set()
            for chapter in chapters.values():
                walk = chapter
                while walk is not None:
                    if walk.id == root.id:
                        expected.add(chapter.id)
                        break
                    walk = chapters.get(walk.parent_id)
            assert set(service.subtree_ids(session=session, chapter_id=root.id)) == expected
            assert root.kind != ChapterKind.province or root.parent_id == vn.id
        session.rollback()
