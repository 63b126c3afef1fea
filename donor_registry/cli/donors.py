"""`donor-registry donors`: register, find, show, list, update and merge donors."""

from typing import Annotated

import typer

from donor_registry.audit import service as audit
from donor_registry.chapters.service import find_chapter
from donor_registry.cli import addresses, privacy, views
from donor_registry.cli.addresses import (
    CommuneOption,
    DistrictOption,
    KeepAddressOption,
    ProvinceOption,
)
from donor_registry.cli.context import app_context
from donor_registry.cli.output import console, print_json, print_table
from donor_registry.cli.params import JsonOption, enum_words, parse_date, parse_group
from donor_registry.db import session_scope
from donor_registry.donations.service import donor_donations
from donor_registry.donors import duplicates, service
from donor_registry.donors.models import DonorCreate, DonorUpdate
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _
from donor_registry.privacy import consents
from donor_registry.types import ConsentChannel, Sex

app = typer.Typer(help=N_("Register, find, list, update and merge donors; consent, data export and erasure."),
                  no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help=N_("Full name, e.g. 'Nguyễn Thị Hoà' (family name first)."))]


@app.command("add")
def add(
    ctx: typer.Context,
    full_name: NameArg,
    born: Annotated[str | None, typer.Option(help=N_("Date of birth (2001-04-07 or 07/04/2001)."))] = None,
    birth_year: Annotated[int | None, typer.Option(help=N_("Birth year, when only the year is known."))] = None,
    sex: Annotated[Sex, typer.Option(parser=enum_words(Sex), help=N_("male, female or unknown."))] = Sex.unknown,
    group: Annotated[str | None, typer.Option(help=N_("Blood group: O+, A-, AB+, B (Rh unknown)…"))] = None,
    phone: Annotated[str | None, typer.Option(help=N_("Phone in any form: 0912 345 678, +84912345678, 0169…"))] = None,
    national_id: Annotated[str | None, typer.Option(help=N_("CCCD (12 digits) or CMND (9 digits)."))] = None,
    address: Annotated[str | None, typer.Option(help=N_("Street address."))] = None,
    commune: CommuneOption = None,
    district: DistrictOption = None,
    province: ProvinceOption = None,
    keep_address: KeepAddressOption = False,
    weight: Annotated[float | None, typer.Option(help=N_("Latest weight in kg."))] = None,
    consent: Annotated[ConsentChannel | None, typer.Option(parser=enum_words(ConsentChannel), help=N_("Record consent given now, and how."))] = None,
    standby: Annotated[bool, typer.Option(help=N_("Join the emergency standby reserve."))] = False,
    notes: Annotated[str | None, typer.Option(help=N_("Free notes."))] = None,
    chapter: Annotated[str | None, typer.Option(help=N_(
        "The chapter the donor belongs to (default: the commune's chapter, else the province's)."))] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a new donor. A national ID already in the registry is refused, naming its holder."""
    app_ctx = app_context(ctx)
    abo, rh = parse_group(group)
    now = app_ctx.now()
    data = DonorCreate(
        full_name=full_name, date_of_birth=parse_date(born), birth_year=birth_year, sex=sex,
        abo=abo, rh=rh, phone_e164=phone, national_id=national_id, address=address,
        commune=commune, district=district, province=province, weight_kg=weight,
        weight_measured_on=app_ctx.today() if weight else None, consent_channel=consent,
        standby=standby, notes=notes,
    )
    with session_scope(app_ctx.engine()) as session:
        if chapter:
            data.chapter_id = find_chapter(session=session, text=chapter).id
        donor = service.create_donor(session=session, data=data, now=now, actor=app_ctx.actor(),
                                     check_address=not keep_address)
        result = views.donor_summary(donor)
        candidates = donor.address_candidates
    if as_json:
        print_json(result)
    else:
        console.print(_("registered donor #{id}: {full_name}").format(id=result['id'], full_name=result['full_name']))
        addresses.print_resolution(result, candidates)


@app.command("show")
def show(
    ctx: typer.Context,
    donor_id: Annotated[int, typer.Argument(help=N_("The donor's number (#id)."))],
    on: Annotated[str | None, typer.Option(help=N_("Check eligibility on this date (default today)."))] = None,
    as_json: JsonOption = False,
) -> None:
    """One donor in full: phone and national ID unmasked, so the view is audited.

    Details, consents, donation history, counts by type, next eligible date per type."""
    app_ctx = app_context(ctx)
    day = parse_date(on) or app_ctx.today()
    with session_scope(app_ctx.engine()) as session:
        donor = service.get_donor(session=session, donor_id=donor_id)
        record = views.donor_record(donor, donor_donations(session=session, donor_id=donor_id),
                                    app_ctx.settings.eligibility, day)
        record["consents"] = consents.current(session=session, donor_id=donor_id)
        audit.record(session=session, now=app_ctx.now(), actor=app_ctx.actor(), action="donor.show",
                     subject_type="donor", subject_id=donor_id, detail={"shown": "phone, national ID"})
    if as_json:
        print_json(record)
        return
    views.print_donor_record(record)


@app.command("send-link")
def send_link(
    ctx: typer.Context,
    donor_id: Annotated[int, typer.Argument(help=N_("The donor's number (#id)."))],
    as_json: JsonOption = False,
) -> None:
    """Send the donor, by SMS, a link to their own record (donations, when they may give again,
    honours, availability for the standby reserve). At most one a day; the link expires in 7 days."""
    from donor_registry.emergency.notify import DEFAULT_PUBLIC_BASE_URL
    from donor_registry.portal import service as portal
    from donor_registry.sms.settings import require_live_links

    app_ctx = app_context(ctx)
    sms = app_ctx.settings.sms
    require_live_links(sms, refusing=_("no record link was sent"))
    with session_scope(app_ctx.engine()) as session:
        portal.send_link(session=session, donor_id=donor_id, now=app_ctx.now(),
                         base_url=sms.public_base_url or DEFAULT_PUBLIC_BASE_URL, actor=app_ctx.actor())
    if as_json:
        print_json({"donor_id": donor_id, "queued": True, "expires_days": portal.SENT_LINK_DAYS})
        return
    console.print(_("Queued: an SMS to donor #{id} with the link to their record (it expires in {days} days)."
                    ).format(id=donor_id, days=portal.SENT_LINK_DAYS))


@app.command("find")
def find(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help=N_("Name (with or without diacritics), phone, or national ID."))],
    limit: Annotated[int, typer.Option(help=N_("At most this many donors."))] = 50,
    as_json: JsonOption = False,
) -> None:
    """Find donors by name ('nguyen thi hoa' finds 'Nguyễn Thị Hoà'), phone in any format, or ID."""
    with session_scope(app_context(ctx).engine()) as session:
        found = [views.donor_summary(d) for d in service.find_donors(session=session, query=query, limit=limit)]
    if as_json:
        print_json(found)
    else:
        views.print_donor_table(found, empty=f"no donor matches '{query}'")


@app.command("list")
def list_(
    ctx: typer.Context,
    group: Annotated[str | None, typer.Option(help=N_("Only this blood group (O+, A-, …; 'O' = any Rh)."))] = None,
    commune: Annotated[str | None, typer.Option(help=N_("Only donors living in this commune."))] = None,
    district: Annotated[str | None, typer.Option(help=N_("Only donors living in this district."))] = None,
    province: Annotated[str | None, typer.Option(help=N_("Only donors living in this province."))] = None,
    eligible_on: Annotated[str | None, typer.Option(help=N_("Only donors who may give on this date."))] = None,
    standby: Annotated[bool | None, typer.Option("--standby/--not-standby", help=N_("Only (or no) standby donors."))] = None,
    limit: Annotated[int, typer.Option(help=N_("At most this many rows."))] = 100,
    offset: Annotated[int, typer.Option(help=N_("Skip this many rows first (paging)."))] = 0,
    chapter: Annotated[str | None, typer.Option(help=N_("Only donors of this chapter and its sub-chapters."))] = None,
    as_json: JsonOption = False,
) -> None:
    """List donors with filters; phone and national ID are masked."""
    app_ctx = app_context(ctx)
    abo, rh = parse_group(group)
    rules = app_ctx.settings.eligibility
    with session_scope(app_ctx.engine()) as session:
        filters = service.DonorFilters(
            abo=abo, rh=rh, commune=commune, district=district, province=province,
            standby=standby, eligible_on=parse_date(eligible_on),
            chapter=find_chapter(session=session, text=chapter) if chapter else None,
        )
        total = service.count_donors(session=session, filters=filters, rules=rules)
        rows = [views.donor_summary(d) for d in service.list_donors(
            session=session, filters=filters, rules=rules, limit=limit, offset=offset)]
    if as_json:
        print_json({"total": total, "donors": rows})
        return
    views.print_donor_table(rows, empty="no donor matches these filters")
    if total > len(rows):
        console.print(_("{count} of {total} shown; use --offset {value3} for more").format(count=len(rows), total=total, value3=offset + len(rows)))


@app.command("update")
def update(
    ctx: typer.Context,
    donor_id: Annotated[int, typer.Argument(help=N_("The donor's number (#id)."))],
    full_name: Annotated[str | None, typer.Option(help=N_("Corrected full name."))] = None,
    born: Annotated[str | None, typer.Option(help=N_("Date of birth."))] = None,
    birth_year: Annotated[int | None, typer.Option(help=N_("Birth year."))] = None,
    sex: Annotated[Sex | None, typer.Option(parser=enum_words(Sex), help=N_("male, female or unknown."))] = None,
    group: Annotated[str | None, typer.Option(help=N_("Blood group, e.g. O+."))] = None,
    phone: Annotated[str | None, typer.Option(help=N_("New phone number."))] = None,
    national_id: Annotated[str | None, typer.Option(help=N_("CCCD or CMND."))] = None,
    address: Annotated[str | None, typer.Option(help=N_("Street address."))] = None,
    commune: CommuneOption = None,
    district: DistrictOption = None,
    province: ProvinceOption = None,
    keep_address: KeepAddressOption = False,
    weight: Annotated[float | None, typer.Option(help=N_("Weight in kg, measured today."))] = None,
    standby: Annotated[bool | None, typer.Option("--standby/--not-standby", help=N_("Join or leave the reserve."))] = None,
    notes: Annotated[str | None, typer.Option(help=N_("Free notes."))] = None,
    consent: Annotated[ConsentChannel | None, typer.Option(parser=enum_words(ConsentChannel), help=N_("Record consent given now, and how."))] = None,
    withdraw_consent: Annotated[bool, typer.Option(help=N_("Record that the donor withdrew consent."))] = False,
    as_json: JsonOption = False,
) -> None:
    """Change some of a donor's details; only the options given change."""
    app_ctx = app_context(ctx)
    options = {
        "full_name": full_name, "date_of_birth": parse_date(born), "birth_year": birth_year, "sex": sex,
        "phone": phone, "national_id": national_id, "address": address, "commune": commune,
        "district": district, "province": province, "weight_kg": weight, "standby": standby, "notes": notes,
    }
    given = {key: value for key, value in options.items() if value is not None}
    if group is not None:
        given["abo"], given["rh"] = parse_group(group)
    if not given and consent is None and not withdraw_consent:
        raise UserError(_("nothing to change: give at least one option (see --help)"))
    now, actor = app_ctx.now(), app_ctx.actor()
    with session_scope(app_ctx.engine()) as session:
        donor = service.update_donor(session=session, donor_id=donor_id, changes=DonorUpdate(**given), now=now,
                                     check_address=not keep_address)
        if given:
            audit.record(session=session, now=now, actor=actor, action="donor.update", subject_type="donor",
                         subject_id=donor_id, detail={"fields": sorted(given)})
        if consent is not None:
            service.record_consent(session=session, donor_id=donor_id, channel=consent, now=now, actor=actor)
        if withdraw_consent:
            service.withdraw_consent(session=session, donor_id=donor_id, now=now, actor=actor)
        result = views.donor_summary(donor)
        candidates = donor.address_candidates
    if as_json:
        print_json(result)
    else:
        console.print(_("updated donor #{donor_id}: {full_name}").format(donor_id=donor_id, full_name=result['full_name']))
        if {"province", "district", "commune"} & set(given):
            addresses.print_resolution(result, candidates)


@app.command("duplicates")
def duplicates_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List pairs of donors that look like the same person, with the reason."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        pairs = duplicates.find_duplicates(session=session, settings=app_ctx.settings.duplicates)
        rows = [
            {"first": views.donor_summary(p.first), "second": views.donor_summary(p.second), "reasons": p.reasons}
            for p in pairs
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        N_("Possible duplicates"), [N_("#"), N_("name"), N_("born"), N_("#"), N_("name"), N_("born"), N_("why")],
        [(r["first"]["id"], r["first"]["full_name"], r["first"]["born"], r["second"]["id"],
          r["second"]["full_name"], r["second"]["born"], "; ".join(r["reasons"])) for r in rows],
        empty=N_("no likely duplicates"),
    )
    if rows:
        console.print(_("merge one pair with: donor-registry donors merge KEEP_ID DUPLICATE_ID"))


@app.command("merge")
def merge(
    ctx: typer.Context,
    keep_id: Annotated[int, typer.Argument(help=N_("The donor to keep."))],
    duplicate_id: Annotated[int, typer.Argument(help=N_("The duplicate whose records move to KEEP_ID."))],
    as_json: JsonOption = False,
) -> None:
    """Merge a duplicate into the donor kept: every donation and record moves, in one transaction."""
    app_ctx = app_context(ctx)
    with session_scope(app_ctx.engine()) as session:
        record = duplicates.merge_donors(
            session=session, keep_id=keep_id, duplicate_id=duplicate_id,
            rules=app_ctx.settings.eligibility, now=app_ctx.now(),
            command=f"donors merge {keep_id} {duplicate_id}",
        )
        audit.record(session=session, now=app_ctx.now(), actor=app_ctx.actor(), action="donor.merge",
                     subject_type="donor", subject_id=keep_id,
                     detail={"merged_id": duplicate_id, "moved": record.moved})
        result = {"kept_id": keep_id, "merged_id": duplicate_id, "moved": record.moved}
    if as_json:
        print_json(result)
        return
    moved = ", ".join(f"{n} {name}" for name, n in result["moved"].items()) or "no records"
    console.print(_("merged donor #{duplicate_id} into #{keep_id}; moved {moved}").format(duplicate_id=duplicate_id, keep_id=keep_id, moved=moved))


app.command("consent")(privacy.consent)
app.command("export-data")(privacy.export_data)
app.command("erase")(privacy.erase)
