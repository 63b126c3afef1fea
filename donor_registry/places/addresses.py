"""A donor's address as entered -> the donor columns that hold it by official code."""

from donor_registry.places import units
from donor_registry.places.legacy import Conversion, convert
from donor_registry.places.status import AddressStatus

ADDRESS_COLUMNS = ("province_code", "commune_code", "units_date", "address_status", "address_candidates")


def columns(conversion: Conversion) -> tuple:
    """(province_code, commune_code, units_date, address_status, address_candidates) of a conversion."""
    dated = None if conversion.status is AddressStatus.empty else units.UNITS_DATE
    return (conversion.province_code, conversion.commune_code, dated, conversion.status,
            " ".join(conversion.candidates) or None)


def resolve(province: str | None, district: str | None, commune: str | None) -> dict:
    """The address columns of a donor for the address as entered."""
    return dict(zip(ADDRESS_COLUMNS, columns(convert(province, district, commune)), strict=True))


def names_for_codes(province: str | None, commune: str | None) -> tuple[str | None, str | None]:
    """An address given by codes ("92", "31507") is kept as the units' names: a code is not
    what a person reads, and a code means another unit after the next reorganisation."""
    if province and province.strip().isdigit() and (found := units.find_provinces(province)):
        province = found[0].name
    if commune and commune.strip().isdigit() and (c := units.commune(commune.strip())):
        commune = c.name
    return province, commune


def candidates(donor_candidates: str | None) -> list[str]:
    return donor_candidates.split() if donor_candidates else []
