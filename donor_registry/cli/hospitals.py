"""`donor-registry hospitals`: the hospitals that may ask for emergency donors, and their tokens."""

from typing import Annotated

import typer

from donor_registry.audit.service import cli_actor
from donor_registry.chapters.service import find_chapter
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, err_console, print_json, print_table
from donor_registry.cli.params import JsonOption
from donor_registry.db import session_scope
from donor_registry.emergency import hospitals as service
from donor_registry.i18n import N_, _
from donor_registry.places import units

app = typer.Typer(help=N_("Hospitals that can request emergency donors, and their API tokens."), no_args_is_help=True)

HospitalArg = Annotated[int, typer.Argument(help=N_("The hospital's number (#id, see `hospitals list`)."))]


def _summary(hospital) -> dict:
    return {
        "id": hospital.id, "name": hospital.name, "commune": hospital.commune, "district": hospital.district,
        "province": hospital.province, "province_code": hospital.province_code,
        "commune_code": hospital.commune_code, "latitude": hospital.latitude, "longitude": hospital.longitude,
        "chapter_id": hospital.chapter_id, "token_prefix": hospital.token_prefix,
        "token_active": hospital.token_hash is not None, "token_issued_at": hospital.token_issued_at,
        "token_revoked_at": hospital.token_revoked_at, "suspended_at": hospital.suspended_at,
        "suspended_reason": hospital.suspended_reason,
    }


def _show_token(hospital, token: str, as_json: bool) -> None:
    if as_json:
        print_json({**_summary(hospital), "token": token})
        return
    console.print(_("hospital #{id} {name}: API token (shown only now, keep it safe):").format(id=hospital.id, name=hospital.name),
                  highlight=False)
    print(token)
    err_console.print(_("Give it to the hospital's blood bank; it signs in at /h and calls the API with 'Authorization: Bearer <token>'."), highlight=False)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=N_("The hospital's name, e.g. 'Bệnh viện Chợ Rẫy'."))],
    commune: Annotated[str | None, typer.Option(help=N_(
        "Commune or ward (xã/phường) of the hospital, by name or code; donors nearest to it are called first."))] = None,
    province: Annotated[str | None, typer.Option(help=N_("Province or city (tỉnh/thành phố) of the hospital."))] = None,
    district: Annotated[str | None, typer.Option(help=N_(
        "District (quận/huyện) of an address written before 2025-07-01; converted to the new commune."))] = None,
    latitude: Annotated[float | None, typer.Option(help=N_("The hospital's own latitude (else its commune's point)."))] = None,
    longitude: Annotated[float | None, typer.Option(help=N_("The hospital's own longitude."))] = None,
    chapter: Annotated[str | None, typer.Option(help=N_(
        "The chapter it belongs to (default: its commune's or province's chapter)."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a hospital and print its API token once (only a hash is stored)."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        chapter_id = find_chapter(session=session, text=chapter).id if chapter else None
        hospital, token = service.add_hospital(session=session, now=app_ctx.now(), name=name, actor=cli_actor(),
                                               district=district, commune=commune, province=province,
                                               latitude=latitude, longitude=longitude, chapter_id=chapter_id)
    _show_token(hospital, token, as_json)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List hospitals and whether their token is active (tokens themselves are never shown again)."""
    with session_scope(app_context(ctx).engine()) as session:
        rows = [_summary(h) for h in service.list_hospitals(session=session)]
    if as_json:
        print_json(rows)
        return
    print_table(None, [N_("#"), N_("name"), _("commune"), N_("token"), N_("active"), N_("suspended")], [
        (r["id"], r["name"], _place_label(r), f"{r['token_prefix']}…" if r["token_prefix"] else "",
         "yes" if r["token_active"] else "revoked", "yes" if r["suspended_at"] else "") for r in rows
    ], empty=_("no hospitals yet: add one with `hospitals add NAME --commune X --province Y`"))


@app.command("revoke-token")
def revoke_token(ctx: typer.Context, hospital_id: HospitalArg, as_json: JsonOption = False) -> None:
    """Stop the hospital's token working at once (e.g. it leaked); issue a new one with rotate-token."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        hospital = service.revoke_token(session=session, now=app_ctx.now(), hospital_id=hospital_id,
                                       actor=cli_actor())
    if as_json:
        print_json(_summary(hospital))
        return
    console.print(_("token of hospital #{id} {name} revoked").format(id=hospital.id, name=hospital.name), highlight=False)


@app.command("rotate-token")
def rotate_token(ctx: typer.Context, hospital_id: HospitalArg, as_json: JsonOption = False) -> None:
    """Issue a new token for the hospital and print it once; the old one stops working."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        hospital, token = service.rotate_token(session=session, now=app_ctx.now(), hospital_id=hospital_id,
                                              actor=cli_actor())
    _show_token(hospital, token, as_json)


@app.command("suspend")
def suspend(
    ctx: typer.Context, hospital_id: HospitalArg,
    reason: Annotated[str | None, typer.Option(help=N_("Why, for the audit trail (e.g. 'flooding donors')."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Stop the hospital filing emergency requests (it answers 403) until `hospitals resume`.

    Its token still signs in, so it can follow and cancel its open requests; cancel them
    yourself with `emergency cancel` if they must stop calling donors."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        hospital = service.suspend(session=session, now=app_ctx.now(), hospital_id=hospital_id, reason=reason,
                                  actor=cli_actor())
        still_open = service.open_request_count(session=session, hospital_id=hospital.id)
    if as_json:
        print_json({**_summary(hospital), "open_requests": still_open})
        return
    console.print(_("hospital #{id} {name} suspended: it cannot file requests").format(id=hospital.id, name=hospital.name), highlight=False)
    if still_open:
        err_console.print(_("{still_open} of its requests are still open and calling donors; see `emergency list --status open`.").format(still_open=still_open), highlight=False)


@app.command("resume")
def resume(ctx: typer.Context, hospital_id: HospitalArg, as_json: JsonOption = False) -> None:
    """Let a suspended hospital file emergency requests again."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        hospital = service.resume(session=session, now=app_ctx.now(), hospital_id=hospital_id, actor=cli_actor())
    if as_json:
        print_json(_summary(hospital))
        return
    console.print(_("hospital #{id} {name} may file requests again").format(id=hospital.id, name=hospital.name), highlight=False)


def _place_label(row: dict) -> str:
    """The official commune and province, else the address as entered."""
    commune = units.commune(row["commune_code"]) if row["commune_code"] else None
    if commune is not None:
        return f"{commune.name}, {units.province(commune.province_code).name}"
    return ", ".join(filter(None, [row["commune"], row["district"], row["province"]]))
