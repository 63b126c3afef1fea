"""What chapters need from the official units (places.units): codes found by code or name, with
"did you mean" on a miss, and a chapter's usual name."""

from donor_registry.errors import NotFound, UserError
from donor_registry.i18n import _
from donor_registry.places import units


def province_code_of(text: str) -> str:
    """The official code of the province the text names ("92", "TP Cần Thơ", "can tho")."""
    found = units.find_provinces(text)
    if len(found) == 1:
        return found[0].code
    if found:
        raise UserError(_("“{text}” names several provinces: {names}").format(
            text=text, names="; ".join(f"{p.name} ({p.code})" for p in found)))
    close = units.suggest_provinces(text, limit=3)
    hint = _("; did you mean: {names}?").format(names="; ".join(f"{p.name} ({p.code})" for p in close)) if close else ""
    raise NotFound(_("no province or city is called “{text}” since 2025-07-01").format(text=text) + hint)


def commune_code_of(text: str, *, province_code: str | None = None) -> str:
    """The official code of the commune the text names, within the province if given."""
    found = units.find_communes(text, province_code)
    if len(found) == 1:
        return found[0].code
    if found:
        raise UserError(_("“{text}” names several communes: {names}; give the code").format(
            text=text, names="; ".join(f"{c.name} ({c.code})" for c in found[:10])))
    where = units.province(province_code).name if province_code and units.province(province_code) else None
    close = units.suggest_communes(text, province_code, limit=3)
    hint = _("; did you mean: {names}?").format(names="; ".join(f"{c.name} ({c.code})" for c in close)) if close else ""
    message = (_("no commune or ward of {province} is called “{text}”").format(province=where, text=text) if where
               else _("no commune or ward is called “{text}”").format(text=text))
    raise NotFound(message + hint)


def chapter_name(*, province_code: str | None = None, commune_code: str | None = None) -> str:
    """"Hội Chữ thập đỏ thành phố Cần Thơ", "Hội Chữ thập đỏ phường Sóc Trăng"."""
    unit = units.commune(commune_code) if commune_code else units.province(province_code)
    if unit is None:
        return ""
    return f"Hội Chữ thập đỏ {unit.name[:1].lower()}{unit.name[1:]}"
