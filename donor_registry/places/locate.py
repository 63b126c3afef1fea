"""Where a hospital or a drive is: its address as entered → official commune, and coordinates."""

from dataclasses import dataclass

from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.places import addresses, units
from donor_registry.places.legacy import convert
from donor_registry.places.status import AddressStatus

# Vietnam, islands included (Trường Sa reaches 117° E).
LATITUDES, LONGITUDES = (8.0, 24.0), (102.0, 118.0)


@dataclass(frozen=True)
class Location:
    province_code: str | None
    commune_code: str | None
    latitude: float | None = None
    longitude: float | None = None


def locate(*, province: str | None, district: str | None, commune: str | None,
           latitude: float | None = None, longitude: float | None = None) -> Location:
    """The official province and commune of a place (old three-level or new two-level address)
    and its own coordinates if given. A name matching no unit is refused with "did you mean";
    a commune split between several new ones, or a name fitting several, asks for the new one."""
    problem = unresolved(province=province, district=district, commune=commune)
    if problem:
        raise UserError(problem)
    found = convert(province, district, commune)
    if (latitude is None) != (longitude is None):
        raise UserError(_("give both --latitude and --longitude, or neither"))
    if latitude is not None and not (LATITUDES[0] <= latitude <= LATITUDES[1] and LONGITUDES[0] <= longitude <= LONGITUDES[1]):
        raise UserError(_("{latitude}, {longitude} is not in Vietnam (latitude 8–24, longitude 102–118)").format(
            latitude=latitude, longitude=longitude))
    return Location(found.province_code, found.commune_code, latitude, longitude)


def unresolved(*, province: str | None, district: str | None, commune: str | None) -> str | None:
    """Why an address names no single unit ("did you mean", or the candidates), or None."""
    problems = addresses.misses(province, district, commune)
    if problems:
        return "; ".join(problems)
    found = convert(province, district, commune)
    if found.status in (AddressStatus.split, AddressStatus.ambiguous):
        names = "; ".join(f"{units.commune(code).name} ({code})" for code in found.candidates)
        return _("“{commune}” now lies in several communes: {names}; give the new commune (--commune CODE)").format(
            commune=commune, names=names)
    return None
