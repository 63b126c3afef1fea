"""Data-subject rights and processing records: `donors consent`, `donors export-data`,
`donors erase` and `donor-registry privacy report`."""

import json
from pathlib import Path
from typing import Annotated

import typer

from donor_registry.audit import service as audit
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json, to_jsonable
from donor_registry.cli.params import JsonOption, enum_words
from donor_registry.db import session_scope
from donor_registry.donors.service import get_donor
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _
from donor_registry.privacy import consents, erasure, processing, subject_data
from donor_registry.privacy.files import private_file
from donor_registry.privacy.models import Purpose
from donor_registry.types import ConsentChannel

app = typer.Typer(help=N_("Processing records for the data-protection dossier."), no_args_is_help=True)

DonorArg = Annotated[int, typer.Argument(help=N_("The donor's number (#id)."))]


def consent(
    ctx: typer.Context,
    donor_id: DonorArg,
    purpose: Annotated[Purpose, typer.Argument(parser=enum_words(Purpose), 
        help=N_("contact_sms (be contacted by SMS) or health_data (processing of blood group, deferrals…)."))],
    channel: Annotated[ConsentChannel | None, typer.Option(parser=enum_words(ConsentChannel), 
        help=N_("How the donor gave consent (paper, sms, web, verbal); needed to record a grant."))] = None,
    withdraw: Annotated[bool, typer.Option("--withdraw", help=N_("Record that the donor withdrew this consent."))] = False,
    as_json: JsonOption = False,
) -> None:
    """Record a donor's explicit consent to one purpose, or its withdrawal (audited).

    Each purpose is asked separately: consent to SMS says nothing about health data."""
    if withdraw == (channel is not None):
        raise UserError(_("give --channel to record consent, or --withdraw to record its withdrawal (not both)"))
    app_ctx = app_context(ctx)
    now, actor = app_ctx.now(), app_ctx.actor()
    with session_scope(app_ctx.engine()) as session:
        donor = get_donor(session=session, donor_id=donor_id)
        if withdraw:
            consents.withdraw(session=session, donor=donor, purpose=purpose, now=now, actor=actor)
        else:
            consents.give(session=session, donor=donor, purpose=purpose, channel=channel, now=now, actor=actor)
        state = consents.current(session=session, donor_id=donor_id)
    if as_json:
        print_json(state)
        return
    for name, item in state.items():
        console.print(f"{name}: {item['state']}", highlight=False)


def export_data(
    ctx: typer.Context,
    donor_id: DonorArg,
    out: Annotated[Path, typer.Option("--out", help=N_("Folder to write donor-ID.json and donor-ID.xlsx into."))] =
        Path("."),
) -> None:
    """Write everything held about one donor, on their request (audited).

    JSON and a readable workbook, both readable by you only (0600). The export is audited."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        data = subject_data.collect(session=session, donor_id=donor_id)
        paths = [out / f"donor-{donor_id}.json", out / f"donor-{donor_id}.xlsx"]
        subject_data.write_json(data, paths[0])
        subject_data.write_xlsx(data, paths[1])
        audit.record(session=session, now=app_ctx.now(), actor=app_ctx.actor(), action="donor.export_data",
                     subject_type="donor", subject_id=donor_id, detail={"files": [str(p) for p in paths]})
    console.print(_("wrote donor #{donor_id}'s data to {value2} and {value3}").format(donor_id=donor_id, value2=paths[0], value3=paths[1]), highlight=False)


def erase(
    ctx: typer.Context,
    donor_id: DonorArg,
    yes: Annotated[bool, typer.Option("--yes", help=N_("Confirm: the erasure cannot be undone."))] = False,
    as_json: JsonOption = False,
) -> None:
    """Erase a donor's identity and contact data on their request (audited).

    Name, date of birth, phone, national ID, address, notes,
    blood group and weight go, every consent is withdrawn, SMS texts are scrubbed; donation rows
    stay without identity so counts and reports stay right. Refused while an open emergency
    request is calling the donor. Audited."""
    if not yes:
        raise UserError(_("erasing donor #{donor_id} cannot be undone: run again with --yes to confirm").format(donor_id=donor_id))
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        scrubbed = erasure.erase_donor(session=session, donor_id=donor_id, now=app_ctx.now(), actor=app_ctx.actor())
    if as_json:
        print_json({"erased_id": donor_id, **scrubbed})
        return
    console.print(_("erased donor #{donor_id}; donations kept without identity").format(donor_id=donor_id), highlight=False)


@app.command("report")
def report(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option("--out", help=N_("Write to this file instead of the screen."))] = None,
    as_json: JsonOption = False,
) -> None:
    """The processing records: a draft for the impact-assessment dossier.

    What is processed, for what purpose, by which processors (and whether outside Vietnam),
    the retention rule, and the counts of consents, withdrawals, exports and erasures."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        records = processing.processing_report(session=session, settings=app_ctx.settings, now=app_ctx.now())
    text = (json.dumps(to_jsonable(records), ensure_ascii=False, indent=2) if as_json
            else "\n".join(processing.text_lines(records)))
    if out is None:
        if as_json:
            print_json(records)
        else:
            console.print(text, highlight=False, markup=False)
        return
    private_file(out).write_text(text + "\n", encoding="utf-8")
    console.print(_("wrote the processing records to {out}").format(out=out), highlight=False)
