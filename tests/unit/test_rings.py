"""Distance rings: haversine against hand-computed distances, ring order and membership."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from donor_registry.places import rings, units

R = 6371.0088


def _cosine_law_km(lat1, lon1, lat2, lon2):
    """An independent formula (spherical law of cosines) to check haversine against."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    return R * math.acos(min(1.0, math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)))


def test_hand_computed_distances():
    # One degree along a meridian, and along the equator: π·R/180 = 111.195 km.
    assert rings.haversine_km(10, 106, 11, 106) == pytest.approx(111.195, abs=0.001)
    assert rings.haversine_km(0, 105, 0, 106) == pytest.approx(111.195, abs=0.001)
    # At 60° N a degree of longitude is about half of that (cos 60° = 0.5; great circle a bit shorter).
    assert rings.haversine_km(60, 10, 60, 11) == pytest.approx(55.597, abs=0.01)
    assert rings.haversine_km(21.0, 105.8, 21.0, 105.8) == 0


@given(st.floats(8, 24), st.floats(102, 118), st.floats(8, 24), st.floats(102, 118))
def test_haversine_agrees_with_the_law_of_cosines(lat1, lon1, lat2, lon2):
    expected = _cosine_law_km(lat1, lon1, lat2, lon2)
    assert rings.haversine_km(lat1, lon1, lat2, lon2) == pytest.approx(expected, abs=0.01)


def test_communes_within_a_ring_are_exactly_those_the_distance_puts_there():
    origin = units.commune("31507")  # Phường Sóc Trăng, Thành phố Cần Thơ
    for km in (5, 10, 25):
        found = set(rings.communes_within(origin.latitude, origin.longitude, km))
        expected = {c.code for p in units.provinces() for c in units.communes_of(p.code)
                    if _cosine_law_km(origin.latitude, origin.longitude, c.latitude, c.longitude) <= km}
        assert found == expected
    # Hand-picked: Phường Phú Lợi is about 4 km away, Xã Tân Hòa of Vĩnh Long about 23 km.
    assert "31510" in rings.communes_within(origin.latitude, origin.longitude, 10)
    assert "29371" not in rings.communes_within(origin.latitude, origin.longitude, 10)
    assert "29371" in rings.communes_within(origin.latitude, origin.longitude, 25)


def test_ring_areas_widen_without_overlap():
    place = rings.origin(commune_code="31507")
    areas = rings.ring_areas(place, rings.DEFAULT_RINGS)
    assert [a.ring for a in areas] == rings.DEFAULT_RINGS
    commune, ten, twenty_five = (set(a.communes) for a in areas[:3])
    assert commune == {"31507"} and not commune & ten and not ten & twenty_five
    assert areas[3].provinces == ("92",)
    # Cần Thơ since 2025 borders An Giang, Vĩnh Long, Đồng Tháp and Cà Mau.
    names = {units.province(code).short for code in areas[4].provinces}
    assert names == {"An Giang", "Vĩnh Long", "Đồng Tháp", "Cà Mau"}
    assert areas[5].everywhere


def test_own_coordinates_move_the_centre():
    place = rings.origin(commune_code="31507", latitude=10.0331, longitude=105.777)  # at Ninh Kiều
    areas = rings.ring_areas(place, ["commune", "10km"])
    assert areas[0].communes == ("31507",) and "31135" in areas[1].communes


@pytest.mark.parametrize("bad", [["10km", "commune"], ["25km", "10km"], ["province", "10km"], ["5 km"],
                                 ["everywhere", "neighbours"], ["commune", "commune"], ["0km"], ["district"]])
def test_rings_that_do_not_widen_are_refused(bad):
    with pytest.raises(ValueError):
        rings.check_rings(bad)
