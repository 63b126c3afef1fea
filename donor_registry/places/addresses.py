"""A donor's address as entered -> the donor columns that hold it by official code."""

from donor_registry.i18n import _
from donor_registry.places import legacy, units
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


def misses(province: str | None, district: str | None, commune: str | None) -> list[str]:
    """What of an address as entered names no unit, each with "did you mean" suggestions; empty
    when the address resolves, is flagged with candidates, or only lacks a part."""
    found = convert(province, district, commune)
    if found.status is not AddressStatus.unknown:
        return []
    province, district, commune = ((x or "").strip() or None for x in (province, district, commune))
    if province and not legacy.old_provinces(province) and not units.find_provinces(province):
        names = [p.name for p in units.suggest_provinces(province)]
        names += [p.name for p in legacy.suggest_provinces(province) if p.name not in names]
        return [_miss(_("no province or city is called '{text}'"), province, names)]
    if district and not legacy.old_districts(district, {p.code for p in legacy.old_provinces_meant(province or "")}):
        names = [d.name for d in legacy.suggest_districts(district, province)]
        return [_miss(_("no district (before 2025-07-01) is called '{text}' there"), district, names)]
    if commune and district:
        names = [c.name for c in legacy.suggest_communes(commune, province, district)]
        return [_miss(_("no commune or ward (before 2025-07-01) is called '{text}' there"), commune, names)]
    if commune:
        names = [f"{c.name} ({c.code})" for c in units.suggest_communes(commune, found.province_code)]
        return [_miss(_("no commune or ward is called '{text}' there"), commune, names)]
    return []


def _miss(message: str, text: str, names: list[str]) -> str:
    message = message.format(text=text)
    if names:
        message += "; " + _("did you mean: {names}?").format(names=", ".join(names))
    return message
