"""`donor-registry emergency`: requests taken by phone, their donors, answers and arrivals."""

import datetime as dt
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlmodel import select

from donor_registry.audit.service import cli_actor
from donor_registry.cli.context import AppContext, app_context
from donor_registry.cli.output import console, print_fields, print_json, print_table
from donor_registry.cli.params import JsonOption, enum_words
from donor_registry.db import session_scope
from donor_registry.donors.models import Donor
from donor_registry.emergency import answers, jobs, service
from donor_registry.emergency.compatibility import Product
from donor_registry.emergency.hospitals import find_hospital
from donor_registry.emergency.models import CallOut, RequestStatus
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _
from donor_registry.phones import mask_phone
from donor_registry.types import blood_group_label

app = typer.Typer(help=N_("Emergency call-outs: hospitals' requests for donors, called in waves by SMS."),
                  no_args_is_help=True)

RequestArg = Annotated[int, typer.Argument(help=N_("The request's number (see `emergency list`)."))]
DonorArg = Annotated[int, typer.Argument(help=N_("The donor's number (#id)."))]


class AnswerWord(StrEnum):
    accept = "accept"
    decline = "decline"


def parse_moment(raw: str | None, app_ctx: AppContext) -> dt.datetime | None:
    """'18:00' (today), '2026-06-01 18:00', '01/06/2026 18:00' in local time, or ISO with an offset."""
    if raw is None:
        return None
    zone, text = ZoneInfo(app_ctx.settings.general.timezone), raw.strip()
    try:
        moment = dt.datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    except ValueError:
        pass
    for pattern in ("%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"):
        try:
            parsed = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        if pattern == "%H:%M":
            parsed = dt.datetime.combine(app_ctx.today(), parsed.time())
        return parsed.replace(tzinfo=zone)
    raise typer.BadParameter(_("'{raw}' is not a time; write 18:00, 2026-06-01 18:00 or 01/06/2026 18:00").format(raw=raw))


def _local(moment: dt.datetime | None, app_ctx: AppContext) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(app_ctx.settings.general.timezone)).strftime("%d/%m/%Y %H:%M")


def _summary(view: service.RequestStatusView) -> dict:
    r = view.request
    return {
        "id": r.id, "hospital": view.hospital.name, "blood_group": blood_group_label(r.abo, r.rh),
        "product": r.product.value, "units": r.units, "needed_by": r.needed_by, "status": r.status.value,
        "wave": r.wave, "area_level": r.area_level, "next_wave_at": r.next_wave_at,
        "created_at": r.created_at, "created_by": r.created_by, "note": r.note,
        "closed_at": r.closed_at, "close_reason": r.close_reason, "counts": view.counts,
    }


@app.command("request")
def request(
    ctx: typer.Context,
    hospital: Annotated[str, typer.Option(help=N_("The hospital asking: its number or exact name."))],
    group: Annotated[str, typer.Option(help=N_("The patient's blood group with Rh, e.g. O+ or AB-."))],
    units: Annotated[int, typer.Option(min=1, help=N_("How many donors must come."))],
    product: Annotated[Product, typer.Option(help=N_("What the patient needs."))] = Product.red_cells,
    needed_by: Annotated[str | None, typer.Option(
        help=N_("When it is needed (local time): 18:00, 2026-06-01 18:00 (default: within the configured hours)."))] = None,
    note: Annotated[str | None, typer.Option(help=N_("Anything the coordinators should know."))] = None,
    as_json: JsonOption = False,
) -> None:
    """File a request taken by phone; the first wave of SMS is queued at once."""
    app_ctx = app_context(ctx)
    data = service.RequestCreate(blood_group=group, product=product, units=units, note=note,
                                 needed_by=parse_moment(needed_by, app_ctx))
    with session_scope(app_ctx.engine()) as session:
        where = find_hospital(session=session, ref=hospital)
        filed = service.create_request(session=session, now=app_ctx.now(), settings=app_ctx.settings,
                                       hospital_id=where.id, data=data, actor=cli_actor())
        result = _summary(service.status_view(session=session, request=filed))
    if as_json:
        print_json(result)
        return
    console.print(
        _("request #{id} for {hospital}: {units} × {blood_group} {product}; wave 1 asked {asked} donors, next wave at {value7}").format(id=result['id'], hospital=result['hospital'], units=result['units'], blood_group=result['blood_group'], product=result['product'], asked=result['counts']['asked'], value7=_local(result['next_wave_at'], app_ctx)), highlight=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[RequestStatus | None, typer.Option(parser=enum_words(RequestStatus), help=N_("Only requests in this state."))] = None,
    limit: Annotated[int, typer.Option(min=1, help=N_("At most this many requests."))] = 50,
    as_json: JsonOption = False,
) -> None:
    """List requests, newest first, with their counts."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        rows = [_summary(service.status_view(session=session, request=r))
                for r in service.list_requests(session=session, status=status, limit=limit)]
    if as_json:
        print_json(rows)
        return
    print_table(None, [N_("#"), N_("hospital"), N_("group"), N_("units"), N_("status"), N_("wave"), N_("asked"), N_("accepted"), N_("needed by")], [
        (r["id"], r["hospital"], r["blood_group"], r["units"], r["status"], r["wave"], r["counts"]["asked"],
         r["counts"]["accepted"], _local(r["needed_by"], app_ctx)) for r in rows
    ], empty=N_("no emergency requests"))


@app.command("show")
def show(ctx: typer.Context, request_id: RequestArg, as_json: JsonOption = False) -> None:
    """Show a request and every donor asked (phones masked); the view is audited."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        found = service.get_request(session=session, request_id=request_id)
        result = _summary(service.status_view(session=session, request=found))
        result["donors"] = [_callout_row(c, d) for c, d in session.exec(
            select(CallOut, Donor).join(Donor, Donor.id == CallOut.donor_id)
            .where(CallOut.request_id == request_id).order_by(CallOut.id))]
        service.record_view(session=session, now=app_ctx.now(), actor=cli_actor(), request_id=request_id)
    if as_json:
        print_json(result)
        return
    print_fields(_("Request #{id} — {hospital}").format(id=result['id'], hospital=result['hospital']), [
        (N_("group"), f"{result['blood_group']} {result['product']}"), (N_("units"), result["units"]),
        (N_("status"), result["status"] + (f" ({result['close_reason']})" if result["close_reason"] else "")),
        (N_("needed by"), _local(result["needed_by"], app_ctx)), (N_("wave"), result["wave"]),
        (N_("area reached"), result["area_level"]), (N_("next wave"), _local(result["next_wave_at"], app_ctx)),
        (N_("note"), result["note"]),
        (N_("counts"), ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result["counts"].items())),
    ])
    print_table(None, [N_("donor"), N_("phone"), N_("wave"), N_("asked"), N_("answer"), N_("by"), N_("arrives"), N_("arrived"), N_("donated")], [
        (f"#{r['donor_id']} {r['full_name']}", r["phone"], r["wave"], _local(r["asked_at"], app_ctx),
         r["answer"], r["channel"], _local(r["expected_arrival_at"], app_ctx),
         _local(r["arrived_at"], app_ctx), "yes" if r["donated"] else "") for r in result["donors"]
    ], empty=N_("nobody asked yet"))


def _callout_row(callout: CallOut, donor: Donor) -> dict:
    return {
        "donor_id": donor.id, "full_name": donor.full_name,
        "phone": mask_phone(donor.phone_e164) if donor.phone_e164 else None, "wave": callout.wave,
        "asked_at": callout.asked_at, "answer": callout.answer.value,
        "channel": callout.answer_channel.value if callout.answer_channel else None,
        "expected_arrival_at": callout.expected_arrival_at, "arrived_at": callout.arrived_at,
        "donated": callout.donated,
    }


@app.command("answer")
def answer(
    ctx: typer.Context, request_id: RequestArg, donor_id: DonorArg,
    word: Annotated[AnswerWord, typer.Argument(help=N_("accept (will come) or decline (cannot come)."))],
    arrive_in: Annotated[int | None, typer.Option(min=1, help=N_("Minutes until the donor arrives (accept only)."))] = None,
) -> None:
    """Record an answer a donor gave by phone."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        _callout, outcome = answers.answer_by_phone(
            session=session, now=app_ctx.now(), settings=app_ctx.settings, request_id=request_id,
            donor_id=donor_id, accept=word == AnswerWord.accept, actor=cli_actor(), arrive_in_minutes=arrive_in)
    console.print({
        answers.Outcome.recorded: f"recorded: donor #{donor_id} {word.value}s request #{request_id}",
        answers.Outcome.covered: f"recorded; request #{request_id} is now covered and the others are told",
        answers.Outcome.too_late: f"request #{request_id} is closed: tell donor #{donor_id} it is no longer needed",
        answers.Outcome.unchanged: f"donor #{donor_id} had already given that answer",
    }[outcome], highlight=False)


@app.command("arrived")
def arrived(ctx: typer.Context, request_id: RequestArg, donor_id: DonorArg) -> None:
    """Record that a donor who was asked has arrived at the hospital."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        answers.mark_arrived(session=session, now=app_ctx.now(), request_id=request_id, donor_id=donor_id,
                             actor=cli_actor())
    console.print(_("donor #{donor_id} arrived for request #{request_id}").format(donor_id=donor_id, request_id=request_id), highlight=False)


@app.command("cancel")
def cancel(
    ctx: typer.Context, request_id: RequestArg,
    reason: Annotated[str | None, typer.Option(help=N_("Why, for the record."))] = None,
) -> None:
    """Cancel a request; every donor asked who has not declined is told not to come."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        service.cancel_request(session=session, now=app_ctx.now(), settings=app_ctx.settings,
                               request_id=request_id, actor=cli_actor(), reason=reason)
    console.print(_("request #{request_id} cancelled; the donors asked are told").format(request_id=request_id), highlight=False)


@app.command("waves")
def run_waves(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help=N_("Run one pass now (serve runs it every few seconds)."))] = False,
) -> None:
    """Run the waves that are due and expire overdue requests (what serve does periodically)."""
    if not once:
        raise UserError(_("`serve` runs the waves continuously; use --once for a single pass"))
    app_ctx = app_context(ctx)
    ran = jobs.run_due_waves(engine=app_ctx.engine(), settings=app_ctx.settings, now=app_ctx.now())
    console.print(_("{ran} wave(s) run").format(ran=ran), highlight=False)
