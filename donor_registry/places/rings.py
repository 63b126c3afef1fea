"""Distance rings around a place: same commune, within N km, the province, neighbouring provinces.

Each commune has a reference point (places.units). A ring of N km holds the communes whose
point lies within N km of the origin (a hospital, a drive's venue): the origin's own
coordinates when given, else its commune's point. The communes are found here, in memory (a
latitude-sorted array narrowed to a bounding box, then exact haversine), so the query over a
million donors is `commune_code IN (…)` on an index. Pure and cached per origin.
"""

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from donor_registry.i18n import _
from donor_registry.places import units

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
KM_PER_DEGREE_LATITUDE = math.pi * EARTH_RADIUS_KM / 180
SPECIAL_RINGS = ("commune", "province", "neighbours", "everywhere")
_KM_RING = re.compile(r"(\d+(?:\.\d+)?)km")

DEFAULT_RINGS = ["commune", "10km", "25km", "province", "neighbours", "everywhere"]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def ring_km(ring: str) -> float | None:
    """10.0 for "10km"; None for the named rings."""
    found = _KM_RING.fullmatch(ring)
    return float(found.group(1)) if found else None


def check_rings(rings: Sequence[str]) -> list[str]:
    """The rings in order, or ValueError: each ring named once, wider than the one before."""
    order = []
    for ring in rings:
        km = ring_km(ring)
        if km is None and ring not in SPECIAL_RINGS:
            raise ValueError(_("unknown ring '{ring}': use commune, <N>km (e.g. 10km), province, neighbours, "
                               "everywhere").format(ring=ring))
        if km is not None and km <= 0:
            raise ValueError(_("ring '{ring}' must be more than 0 km").format(ring=ring))
        rank = {"commune": (0, 0), "province": (2, 0), "neighbours": (3, 0), "everywhere": (4, 0)}.get(ring, (1, km))
        order.append(rank)
    if len(set(rings)) != len(rings) or order != sorted(order):
        raise ValueError(_("rings must widen: commune, then km rings in increasing order, province, neighbours, "
                           "everywhere"))
    return list(rings)


@dataclass(frozen=True)
class Origin:
    """Where rings are drawn from: a point, and the commune and province it lies in (if known)."""

    latitude: float | None
    longitude: float | None
    commune_code: str | None
    province_code: str | None

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def origin(*, commune_code: str | None, province_code: str | None = None, latitude: float | None = None,
           longitude: float | None = None) -> Origin:
    """An origin from a commune code and optional coordinates (the commune's point otherwise)."""
    commune = units.commune(commune_code) if commune_code else None
    if commune is not None:
        province_code = province_code or commune.province_code
        if latitude is None or longitude is None:
            latitude, longitude = commune.latitude, commune.longitude
    return Origin(latitude, longitude, commune.code if commune else None, province_code)


@dataclass(frozen=True)
class RingArea:
    """The donors a ring adds, as a rule on their address: communes, provinces, or everyone."""

    ring: str
    communes: tuple[str, ...] | None = None  # donors living in one of these communes
    provinces: tuple[str, ...] | None = None  # donors whose province is one of these
    everywhere: bool = False


def ring_areas(place: Origin, rings: Sequence[str], *, neighbour_km: float = 15.0) -> list[RingArea]:
    """Each ring's own area (nearest first), without what the rings inside it hold; rings the
    origin cannot draw (no point for km rings, no province for province rings) are left out."""
    areas: list[RingArea] = []
    inner: set[str] = set()
    for ring in rings:
        km = ring_km(ring)
        if ring == "commune" and place.commune_code:
            areas.append(RingArea(ring, communes=(place.commune_code,)))
            inner.add(place.commune_code)
        elif km is not None and place.has_point:
            within = communes_within(place.latitude, place.longitude, km)
            added = tuple(code for code in within if code not in inner)
            inner.update(added)
            areas.append(RingArea(ring, communes=added))
        elif ring == "province" and place.province_code:
            areas.append(RingArea(ring, provinces=(place.province_code,)))
        elif ring == "neighbours" and place.province_code:
            areas.append(RingArea(ring, provinces=neighbouring_provinces(place.province_code, neighbour_km)))
        elif ring == "everywhere":
            areas.append(RingArea(ring, everywhere=True))
    return areas


def communes_within_ring(place: Origin, ring: str) -> tuple[str, ...] | None:
    """Every commune of one ring, inner ones included (None: the ring is not a set of communes)."""
    km = ring_km(ring)
    if ring == "commune":
        return (place.commune_code,) if place.commune_code else ()
    if km is not None:
        return communes_within(place.latitude, place.longitude, km) if place.has_point else ()
    return None


@cache
def _by_latitude() -> tuple[list[float], list[units.Commune]]:
    communes = sorted((c for p in units.provinces() for c in units.communes_of(p.code)), key=lambda c: c.latitude)
    return [c.latitude for c in communes], communes


@lru_cache(maxsize=8192)
def communes_within(latitude: float, longitude: float, km: float) -> tuple[str, ...]:
    """Codes of the communes whose reference point lies within `km` of the point, nearest first."""
    latitudes, communes = _by_latitude()
    spread = km / KM_PER_DEGREE_LATITUDE
    low, high = bisect.bisect_left(latitudes, latitude - spread), bisect.bisect_right(latitudes, latitude + spread)
    lon_spread = spread / max(math.cos(math.radians(latitude)), 0.01)
    found = []
    for commune in communes[low:high]:
        if abs(commune.longitude - longitude) > lon_spread:
            continue
        distance = haversine_km(latitude, longitude, commune.latitude, commune.longitude)
        if distance <= km:
            found.append((distance, commune.code))
    return tuple(code for _, code in sorted(found))


def neighbouring_provinces(province_code: str, border_km: float = 15.0) -> tuple[str, ...]:
    """Provinces with a commune whose point lies within `border_km` of one of this province's:
    the provinces across its border (the data has no boundaries, so points stand for them)."""
    return _neighbours(border_km).get(province_code, ())


@lru_cache(maxsize=8)
def _neighbours(border_km: float) -> dict[str, tuple[str, ...]]:
    """Every province's neighbours at once: a sweep over the communes sorted by latitude compares
    only those within border_km north or south of each other (about 0.1 s for 3,321 communes)."""
    latitudes, communes = _by_latitude()
    spread = border_km / KM_PER_DEGREE_LATITUDE
    found: dict[str, set[str]] = {}
    for i, a in enumerate(communes):
        lon_spread = spread / max(math.cos(math.radians(a.latitude)), 0.01)
        for b in communes[i + 1:bisect.bisect_right(latitudes, a.latitude + spread)]:
            if (b.province_code != a.province_code and abs(b.longitude - a.longitude) <= lon_spread
                    and haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) <= border_km):
                found.setdefault(a.province_code, set()).add(b.province_code)
                found.setdefault(b.province_code, set()).add(a.province_code)
    return {code: tuple(sorted(others)) for code, others in found.items()}
