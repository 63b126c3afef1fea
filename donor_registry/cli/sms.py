"""`donor-registry sms`: send the outbox, look into it, preview a message before a campaign."""

import time
from typing import Annotated

import typer
from rich.progress import Progress

from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_fields, print_json, print_table
from donor_registry.cli.params import JsonOption, enum_words
from donor_registry.db import session_scope
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _, formatting
from donor_registry.i18n.labels import label, message_kind
from donor_registry.phones import mask_phone, mask_phones_in
from donor_registry.sms import channels, costs, registrations, service
from donor_registry.sms.dispatcher import Dispatcher, DispatchReport
from donor_registry.sms.models import OutboxMessage, OutboxStatus
from donor_registry.sms.preview import preview as preview_kind

app = typer.Typer(help=N_("Send SMS from the outbox, follow what was sent, preview messages."),
                  no_args_is_help=True)
outbox_app = typer.Typer(help=N_("Look into the outbox: list, show, retry or cancel messages."),
                         no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
templates_app = typer.Typer(help=N_("The message templates as registered with eSMS / Zalo."),
                            no_args_is_help=True)
app.add_typer(templates_app, name="templates")

MessageId = Annotated[int, typer.Argument(help=N_("The message's number in the outbox."))]


def _masked(phone: str) -> str:
    try:
        return mask_phone(phone)
    except ValueError:
        return phone


def _summary(m: OutboxMessage) -> dict:
    return {
        "id": m.id, "donor_id": m.donor_id, "to": _masked(m.to_phone), "kind": m.kind,
        "status": m.status.value, "attempts": m.attempts, "send_after": m.send_after,
        "sent_at": m.sent_at, "error_code": m.error_code,
        "error": mask_phones_in(m.error_message) if m.error_message else None,
    }


@app.command("dispatch")
def dispatch(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help=N_("Send what is due now, then stop."))] = False,
    every: Annotated[float, typer.Option(help=N_("Without --once: seconds between checks for due messages."))] = 5.0,
    as_json: JsonOption = False,
) -> None:
    """Send the messages that are due, at the configured pace, outside quiet hours."""
    app_ctx = app_context(ctx)
    settings = app_ctx.settings
    dispatcher = Dispatcher(
        engine=app_ctx.engine(), settings=settings.sms,
        gateway=service.gateway_from_settings(settings.sms),
        timezone=settings.general.timezone, clock=app_ctx.now,
    )
    while True:
        report = _dispatch_with_progress(dispatcher, show=not as_json and console.is_terminal)
        if once:
            break
        time.sleep(every)
    if as_json:
        print_json(report.as_dict())
        return
    console.print(
        _("sent {sent}, found already sent {recovered}, to retry {retried}, failed {failed}, cancelled {cancelled}, held for quiet hours {deferred}").format(sent=report.sent, recovered=report.recovered, retried=report.retried, failed=report.failed, cancelled=report.cancelled, deferred=report.deferred)
    )
    for error, count in report.errors.items():
        console.print(f"  {count} × {error}", highlight=False, markup=False)


def _dispatch_with_progress(dispatcher: Dispatcher, *, show: bool) -> DispatchReport:
    if not show:
        return dispatcher.run_once()
    with session_scope(dispatcher.engine) as session:
        due = service.count_due(session=session, now=dispatcher.clock())
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("sending SMS", total=due or None)
        return dispatcher.run_once(progress=lambda n: progress.advance(task, n))


@outbox_app.command("list")
def outbox_list(
    ctx: typer.Context,
    status: Annotated[OutboxStatus | None, typer.Option(parser=enum_words(OutboxStatus), help=N_("Only messages in this state."))] = None,
    kind: Annotated[str | None, typer.Option(help=N_("Only this kind (invitation, reminder, thank_you…)."))] = None,
    donor: Annotated[int | None, typer.Option(help=N_("Only messages to this donor (#id)."))] = None,
    limit: Annotated[int, typer.Option(help=N_("At most this many, newest first."))] = 50,
    as_json: JsonOption = False,
) -> None:
    """List outbox messages, newest first (phone numbers masked)."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        rows = [_summary(m) for m in service.list_messages(
            session=session, status=status, kind=kind, donor_id=donor, limit=limit)]
    if as_json:
        print_json(rows)
        return
    print_table(N_("SMS outbox"), [N_("#"), N_("donor"), N_("to"), N_("kind"), N_("status"), N_("tries"), N_("send after"), N_("error")],
                [[r["id"], r["donor_id"], r["to"], message_kind(r["kind"]), OutboxStatus(r["status"]), r["attempts"],
                  r["send_after"], r["error"]] for r in rows],  # send after: Vietnam's time
                empty=N_("no messages"))


@outbox_app.command("show")
def outbox_show(ctx: typer.Context, message_id: MessageId, as_json: JsonOption = False) -> None:
    """Show one message: its text, state, tries and the provider's answer."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        m = service.get_message(session=session, message_id=message_id)
        data = _summary(m) | {"body": m.body, "idempotency_key": m.idempotency_key,
                              "provider_id": m.provider_id, "urgent": m.urgent,
                              "next_attempt_at": m.next_attempt_at, "created_at": m.created_at}
    if as_json:
        print_json(data)
        return
    print_fields(_("SMS #{message_id}").format(message_id=message_id), [(k.replace("_", " "), v) for k, v in data.items()])


@outbox_app.command("retry")
def outbox_retry(ctx: typer.Context, message_id: MessageId, as_json: JsonOption = False) -> None:
    """Queue a failed, undelivered or cancelled message again."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        data = _summary(service.retry(session=session, now=app_ctx.now(), message_id=message_id))
    if as_json:
        print_json(data)
        return
    console.print(_("SMS #{message_id} queued again").format(message_id=message_id))


@outbox_app.command("cancel")
def outbox_cancel(ctx: typer.Context, message_id: MessageId, as_json: JsonOption = False) -> None:
    """Cancel a queued message so it is never sent."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        data = _summary(service.cancel(session=session, now=app_ctx.now(), message_id=message_id))
    if as_json:
        print_json(data)
        return
    console.print(_("SMS #{message_id} cancelled").format(message_id=message_id))


@app.command("stats")
def stats(
    ctx: typer.Context,
    cost: Annotated[bool, typer.Option("--cost", help=N_("Cost in đồng by month, area and channel."))] = False,
    by_channel: Annotated[bool, typer.Option("--by-channel", help=N_("Counts by channel (Zalo ZNS / SMS)."))] = False,
    area: Annotated[str, typer.Option(help=N_("With --cost: 'province' or 'commune'."))] = "province",
    as_json: JsonOption = False,
) -> None:
    """Count messages by kind and state (or by channel, or their cost by month)."""
    app_ctx = app_context(ctx)
    if area not in ("province", "commune"):
        raise UserError(_("--area must be 'province' or 'commune', not {area!r}").format(area=area))
    if cost or by_channel:
        _channel_stats(app_ctx, cost=cost, area=area, as_json=as_json)
        return
    with session_scope(app_ctx.engine()) as session:
        table = service.stats(session=session)
    if as_json:
        print_json(table)
        return
    statuses = [s.value for s in OutboxStatus]
    print_table(N_("SMS by kind and state"), [N_("kind"), *(label(s) for s in OutboxStatus), N_("total")],
                [[message_kind(kind), *(counts.get(s, 0) for s in statuses), sum(counts.values())]
                 for kind, counts in sorted(table.items())], empty=N_("the outbox is empty"))


@app.command("preview")
def preview(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=N_("Message kind: invitation, reminder, thank_you, may_give_again, congratulation…"))],
    drive: Annotated[int | None, typer.Option(help=N_("The drive's number (for invitation and reminder)."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Show a message's text, encoding and SMS parts, and the parts for everyone it would go to."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        result = preview_kind(session=session, settings=app_ctx.settings, now=app_ctx.now(),
                              kind=kind, drive_id=drive)
    if as_json:
        print_json(result.__dict__)
        return
    print_fields(_("SMS {kind}").format(kind=kind), [
        (N_("text"), result.text), (N_("encoding"), result.encoding), (N_("characters"), result.characters),
        (N_("parts per SMS"), f"{result.segments} (at most {result.max_segments})"),
        (N_("recipients"), result.recipients), (N_("parts in total"), result.total_segments),
        (N_("channel"), "Zalo ZNS, SMS if it fails" if result.channel == "zns_sms" else "SMS"),
        (N_("cost each (đồng)"), f"{result.cost_vnd_each:,}"),
        (N_("cost in total (đồng)"), f"{result.cost_vnd_total:,}"),
    ])


def _channel_stats(app_ctx, *, cost: bool, area: str, as_json: bool) -> None:
    with session_scope(app_ctx.engine()) as session:
        if cost:
            rows = costs.monthly_costs(session=session, by=area, timezone=app_ctx.settings.general.timezone)
        else:
            table = costs.by_channel(session=session)
    if as_json:
        print_json(rows if cost else table)
        return
    if cost:
        print_table(N_("SMS / ZNS cost by month (đồng)"), [N_("month"), area, N_("channel"), N_("messages"), N_("đồng")],
                    [[r["month"], r[area], r["channel"], r["messages"], formatting.number(r['cost_vnd'])] for r in rows],
                    empty=N_("nothing sent yet"))
        return
    statuses = sorted({s for counts in table.values() for s in counts})
    print_table(N_("Messages by channel and state"), [N_("channel"), *(_status_label(s) for s in statuses)],
                [[c, *(counts.get(s, 0) for s in statuses)] for c, counts in sorted(table.items())],
                empty=N_("the outbox is empty"))


@templates_app.command("check")
def templates_check(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Each message kind's registered SMS text and ZNS template; exit 1 if one is missing."""
    app_ctx = app_context(ctx)
    rows = registrations.check(app_ctx.settings.sms)
    if as_json:
        print_json([r.__dict__ for r in rows])
    else:
        print_table(N_("Registered templates"), [N_("kind"), N_("ZNS template"), N_("ZNS parameters"), N_("problems")],
                    [[r.kind, r.zns_template_id or "-", ", ".join(r.zns_params) or "-",
                      "; ".join(r.problems) or "ok"] for r in rows])
    bad = [r.kind for r in rows if r.problems]
    if bad:
        raise UserError(_("kinds without a complete registration: {value1}").format(value1=', '.join(bad)))


@app.command("channel")
def channel(
    ctx: typer.Context,
    donor_id: Annotated[int, typer.Argument(help=N_("The donor's number."))],
    use: Annotated[str, typer.Argument(help=N_("zalo (ZNS, SMS if it fails), sms, or none."))],
    zalo_opt_out: Annotated[bool | None, typer.Option("--zalo-opt-out/--zalo-opt-in",
                                                      help=N_("The donor refuses (or accepts again) Zalo messages."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Set how a donor gets messages."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        donor = channels.set_preference(session=session, now=app_ctx.now(), donor_id=donor_id,
                                        channel=use, zalo_opt_out=zalo_opt_out)
        data = {"donor_id": donor.id, "channel": donor.message_channel,
                "zalo_opted_out": donor.zalo_opted_out_at is not None,
                "zalo_unavailable": donor.zalo_unavailable_at is not None}
    if as_json:
        print_json(data)
        return
    console.print(f"donor #{donor_id}: messages by {data['channel']}"
                  + (" (no Zalo)" if data["zalo_opted_out"] or data["zalo_unavailable"] else ""))


@app.command("poll-status")
def poll_status(
    ctx: typer.Context,
    minutes: Annotated[int, typer.Option(min=1, help=N_("Ask about messages sent at least this long ago."))] = 30,
    as_json: JsonOption = False,
) -> None:
    """eSMS: ask the status of sent messages whose delivery report has not come."""
    import datetime as dt

    from donor_registry.sms.esms_callbacks import poll_statuses

    app_ctx = app_context(ctx)
    if app_ctx.settings.sms.gateway != "esms":
        raise UserError(_("sms poll-status works with sms.gateway = \"esms\" only (Twilio reports come by callback)"))
    gateway = service.gateway_from_settings(app_ctx.settings.sms)
    with session_scope(app_ctx.engine()) as session:
        counts = poll_statuses(session=session, gateway=gateway, now=app_ctx.now(),
                               older_than=dt.timedelta(minutes=minutes))
    if as_json:
        print_json(counts)
        return
    console.print(_("asked {asked}: {settled} settled, {pending} still pending").format(asked=counts['asked'], settled=counts['settled'], pending=counts['pending']))


def _status_label(status: str) -> str:
    """A state's label ('đã gửi'); a provider's own state word is shown as it is."""
    try:
        return label(OutboxStatus(status))
    except ValueError:
        return status
