"""`donor-registry hospitals`: the hospitals that may ask for emergency donors, and their tokens."""

from typing import Annotated

import typer

from donor_registry.audit.service import cli_actor
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, err_console, print_json, print_table
from donor_registry.cli.params import JsonOption
from donor_registry.db import session_scope
from donor_registry.emergency import hospitals as service

app = typer.Typer(help="Hospitals that can request emergency donors, and their API tokens.", no_args_is_help=True)

HospitalArg = Annotated[int, typer.Argument(help="The hospital's number (#id, see `hospitals list`).")]


def _summary(hospital) -> dict:
    return {
        "id": hospital.id, "name": hospital.name, "commune": hospital.commune, "district": hospital.district,
        "province": hospital.province, "token_prefix": hospital.token_prefix,
        "token_active": hospital.token_hash is not None, "token_issued_at": hospital.token_issued_at,
        "token_revoked_at": hospital.token_revoked_at, "suspended_at": hospital.suspended_at,
        "suspended_reason": hospital.suspended_reason,
    }


def _show_token(hospital, token: str, as_json: bool) -> None:
    if as_json:
        print_json({**_summary(hospital), "token": token})
        return
    console.print(f"hospital #{hospital.id} {hospital.name}: API token (shown only now, keep it safe):",
                  highlight=False)
    print(token)
    err_console.print("Give it to the hospital's blood bank; it signs in at /h and calls the API with "
                      "'Authorization: Bearer <token>'.", highlight=False)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The hospital's name, e.g. 'Bệnh viện Chợ Rẫy'.")],
    district: Annotated[str, typer.Option(help="District (quận/huyện) of the hospital; donors nearby are called first.")],
    commune: Annotated[str | None, typer.Option(help="Commune or ward (xã/phường) of the hospital.")] = None,
    province: Annotated[str | None, typer.Option(help="Province or city (tỉnh/thành phố) of the hospital.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a hospital and print its API token once (only a hash is stored)."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        hospital, token = service.add_hospital(session=session, now=app_ctx.now(), name=name, actor=cli_actor(),
                                               district=district, commune=commune, province=province)
    _show_token(hospital, token, as_json)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List hospitals and whether their token is active (tokens themselves are never shown again)."""
    with session_scope(app_context(ctx).engine()) as session:
        rows = [_summary(h) for h in service.list_hospitals(session=session)]
    if as_json:
        print_json(rows)
        return
    print_table(None, ["#", "name", "district", "token", "active", "suspended"], [
        (r["id"], r["name"], r["district"], f"{r['token_prefix']}…" if r["token_prefix"] else "",
         "yes" if r["token_active"] else "revoked", "yes" if r["suspended_at"] else "") for r in rows
    ], empty="no hospitals yet: add one with `hospitals add NAME --district X`")


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
    console.print(f"token of hospital #{hospital.id} {hospital.name} revoked", highlight=False)


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
    reason: Annotated[str | None, typer.Option(help="Why, for the audit trail (e.g. 'flooding donors').")] = None,
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
    console.print(f"hospital #{hospital.id} {hospital.name} suspended: it cannot file requests", highlight=False)
    if still_open:
        err_console.print(f"{still_open} of its requests are still open and calling donors; "
                          "see `emergency list --status open`.", highlight=False)


@app.command("resume")
def resume(ctx: typer.Context, hospital_id: HospitalArg, as_json: JsonOption = False) -> None:
    """Let a suspended hospital file emergency requests again."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        hospital = service.resume(session=session, now=app_ctx.now(), hospital_id=hospital_id, actor=cli_actor())
    if as_json:
        print_json(_summary(hospital))
        return
    console.print(f"hospital #{hospital.id} {hospital.name} may file requests again", highlight=False)
