"""`donor-registry addresses`: the flagged addresses a coordinator reviews, and the pick.

Also the --province / --district / --commune options `donors add/update` share."""

from typing import Annotated

import typer

from donor_registry.cli import views
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json, print_table
from donor_registry.cli.params import JsonOption
from donor_registry.db import session_scope
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _
from donor_registry.places import review, units
from donor_registry.places.status import AddressStatus

ProvinceOption = Annotated[str | None, typer.Option(
    help=N_("Province / city (tỉnh / thành phố), by name or code: 'TP Cần Thơ', 'Sóc Trăng' (before 2025-07-01), 92."))]
DistrictOption = Annotated[str | None, typer.Option(
    help=N_("District (huyện / quận) of an address from before 2025-07-01; it is converted."))]
CommuneOption = Annotated[str | None, typer.Option(
    help=N_("Commune / ward (xã / phường / đặc khu), by name or code: 'Phường 5', 'P.05', 31507."))]
KeepAddressOption = Annotated[bool, typer.Option(
    help=N_("Keep an address that names no unit as entered, flagged for `addresses review`."))]

app = typer.Typer(help=N_("Addresses by the units since 2025-07-01: review the flagged ones and pick their commune."),
                  no_args_is_help=True)


def print_resolution(summary: dict, candidates: str | None) -> None:
    """One line saying how the address given resolved (after `donors add/update`)."""
    record = {**summary, "address_candidates": (candidates or "").split()}
    console.print(_("address: {text}").format(text=views.official_address_text(record)), highlight=False)
    if summary["address_status"] in ("split", "ambiguous", "unknown"):
        console.print(_("choose with: donor-registry addresses pick {id} COMMUNE_CODE").format(id=summary["id"]),
                      highlight=False)


def _row(found: review.FlaggedAddress) -> dict:
    return {
        "donor_id": found.donor_id, "full_name": found.full_name,
        "entered": {"province": found.province, "district": found.district, "commune": found.commune},
        "status": found.status.value, "province_code": found.province_code,
        "candidates": [{"code": c.code, "name": c.name, "province_code": c.province_code}
                       for code in found.candidates if (c := units.commune(code))],
    }


@app.command("review")
def review_command(
    ctx: typer.Context,
    status: Annotated[AddressStatus | None, typer.Option(help=N_("Only split, ambiguous or unknown addresses."))] = None,
    province: Annotated[str | None, typer.Option(help=N_("Only addresses in this province (name or code)."))] = None,
    after: Annotated[int, typer.Option(min=0, max=2**62, help=N_("Start after this donor number (the next page)."))] = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000, help=N_("At most this many addresses."))] = 50,
    as_json: JsonOption = False,
) -> None:
    """List the addresses waiting for a person, with their candidate communes, page by page."""
    app_ctx = app_context(ctx)
    province_code = _province_code(province) if province else None
    with session_scope(app_ctx.engine()) as session:
        rows = [_row(found) for found in review.page(session=session, status=status, province_code=province_code,
                                                     after_id=after, limit=limit)]
    next_after = rows[-1]["donor_id"] if len(rows) == limit else None
    if as_json:
        print_json({"addresses": rows, "next_after": next_after})
        return
    print_table(_("Addresses to review"), [N_("#"), _("name"), _("as entered"), _("why"), _("candidates")], [
        (r["donor_id"], r["full_name"], ", ".join(filter(None, [r["entered"]["commune"], r["entered"]["district"],
                                                              r["entered"]["province"]])),
         _(views.STATUS_LABELS[r["status"]]),
         "; ".join(f"{c['code']} {c['name']}" for c in r["candidates"]) or "-")
        for r in rows
    ], empty=_("no address waits for a choice"))
    if next_after is not None:
        console.print(_("next page: --after {id}").format(id=next_after), highlight=False)


@app.command("counts")
def counts_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """How many donors' addresses are new, converted, picked, flagged or empty."""
    with session_scope(app_context(ctx).engine()) as session:
        totals = review.counts(session=session)
    if as_json:
        print_json(totals)
        return
    print_table(_("Addresses by status"), [_("status"), _("donors")],
                [(_(views.STATUS_LABELS[s.value]), totals.get(s.value, 0)) for s in AddressStatus])


@app.command("pick")
def pick_command(
    ctx: typer.Context,
    donor_id: Annotated[int, typer.Argument(help=N_("The donor's number (#id)."))],
    commune_code: Annotated[str | None, typer.Argument(
        help=N_("The commune's code (5 digits); without it, choose among the candidates."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Resolve a flagged address to one commune (audited, with what it was before)."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        if commune_code is None:
            commune_code = _ask(review.page(session=session, after_id=donor_id - 1, limit=1), donor_id)
        donor = review.pick(session=session, donor_id=donor_id, commune_code=commune_code,
                            now=app_ctx.now(), actor=app_ctx.actor())
        result = views.donor_summary(donor)
    if as_json:
        print_json(result)
        return
    commune = units.commune(result["commune_code"])
    console.print(_("donor #{id}: address set to {commune}, {province}").format(
        id=donor_id, commune=commune.name, province=units.province(commune.province_code).name), highlight=False)


def _ask(found: list[review.FlaggedAddress], donor_id: int) -> str:
    """The candidate a coordinator chooses by number at the prompt."""
    if not found or found[0].donor_id != donor_id:
        raise UserError(_("the address of donor #{id} is not waiting for a choice").format(id=donor_id))
    candidates = [c for code in found[0].candidates if (c := units.commune(code))]
    if not candidates:
        raise UserError(_("donor #{id}'s address has no candidates: give the commune's code").format(id=donor_id))
    for number, commune in enumerate(candidates, start=1):
        console.print(f"  {number}. {commune.code} {commune.name}, {units.province(commune.province_code).name}",
                      highlight=False)
    choice = typer.prompt(_("number of the commune"), type=int)
    if not 1 <= choice <= len(candidates):
        raise UserError(_("choose a number from 1 to {n}").format(n=len(candidates)))
    return candidates[choice - 1].code


def _province_code(text: str) -> str:
    found = units.find_provinces(text)
    if len(found) != 1:
        names = ", ".join(p.name for p in units.suggest_provinces(text))
        raise UserError(_("no province or city is called '{text}'").format(text=text)
                        + (("; " + _("did you mean: {names}?").format(names=names)) if names else ""))
    return found[0].code
