"""Properties of an import over generated files and generated prior states (hypothesis):
it never removes or alters a recorded donation or donor field, a second import of the same
file changes nothing, a refused file leaves the database as it was, and the report's counts
add up to the rows read."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlmodel import SQLModel

from donor_registry.donations.models import Donation
from donor_registry.donors.models import Donor, DonorCreate
from donor_registry.donors.service import create_donor
from donor_registry.importing.service import import_donations
from donor_registry.types import DonationType, Sex
from tests.service.test_import import write_csv

# People sharing names, years and phones, as families and villages do.
PEOPLE = [
    # name, birth year, sex, blood group, phone, national ID
    ("Nguyễn Thị Lan", 1990, "Nữ", "A+", "0912000001", "001190000001"),
    ("Nguyễn Thị Lan", 1990, "Nữ", "O+", "0912000002", "001190000002"),
    ("Nguyễn Thị Lan", 1990, "", "B-", "0912000001", ""),
    ("Trần Văn Bê", 1985, "Nam", "B+", "0912000003", "036185000003"),
    ("Trần Thị Thúy", 1985, "Nữ", "A+", "0912000003", "036185000004"),
]
HEADERS = ["Họ và tên", "Năm sinh", "Giới tính", "Nhóm máu", "Số điện thoại", "CCCD", "Ngày hiến", "Loại hiến",
           "Thể tích", "Số chứng nhận"]
KINDS = [("", DonationType.whole_blood), ("Tiểu cầu", DonationType.platelet_apheresis)]
FIRST_DAY = dt.date(2025, 1, 1)
SEXES = {"Nữ": Sex.female, "Nam": Sex.male, "": Sex.unknown}

a_donation = st.tuples(st.integers(0, 2), st.sampled_from(range(len(KINDS))), st.sampled_from([None, 250, 350]),
                       st.sampled_from([None, None, "C-1", "C-2", "C-3"]))
# Which identity cells a row shows: national ID, phone, sex and blood group.
shown = st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans())
a_row = st.tuples(st.integers(0, len(PEOPLE) - 1), shown, a_donation)
a_registered = st.tuples(st.integers(0, len(PEOPLE) - 1), shown, st.lists(a_donation, max_size=3))
prior_states = st.lists(a_registered, max_size=4, unique_by=lambda registered: registered[0])


@st.composite
def prior_and_file(draw):
    """A prior state, and a file whose rows are new or copy one of its donations (repeats)."""
    registered = _without_repeated_certificates(draw(prior_states))
    recorded = [(person, cells, donation) for person, cells, donations in registered for donation in donations]
    copies = st.sampled_from(recorded) if recorded else a_row
    rows = draw(st.lists(st.one_of(a_row, copies), min_size=1, max_size=8))
    return registered, rows

PROPERTY = settings(derandomize=True, max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def build_prior(session, now, registered) -> None:
    """Start from an empty database holding these donors and their (legacy) donations."""
    for table in reversed(SQLModel.metadata.sorted_tables):
        session.execute(delete(table))
    for person, (with_id, with_phone, with_sex, with_blood), donations in registered:
        name, year, sex, blood, phone, national_id = PEOPLE[person]
        donor = create_donor(session=session, now=now, data=DonorCreate(
            full_name=name, birth_year=year, sex=SEXES[sex] if with_sex else Sex.unknown,
            abo=blood[:-1] if with_blood else None, rh=blood[-1] if with_blood else None,
            phone_e164=phone if with_phone else None, national_id=national_id if with_id and national_id else None))
        for day, kind, volume, certificate in donations:
            session.add(Donation(donor_id=donor.id, donated_on=FIRST_DAY + dt.timedelta(days=day),
                                 type=KINDS[kind][1], volume_ml=volume, certificate_no=certificate,
                                 created_at=now, source="legacy"))
            session.flush()  # a repeated certificate number in the prior state is not kept
    session.commit()


def _without_repeated_certificates(registered):
    seen, kept = set(), []
    for person, cells, donations in registered:
        mine = []
        for donation in donations:
            if donation[3] is None or donation[3] not in seen:
                seen.add(donation[3])
                mine.append(donation)
        kept.append((person, cells, mine))
    return kept


def file_of(tmp_path, rows, *, bad_row: bool = False):
    lines = []
    for person, (with_id, with_phone, with_sex, with_blood), (day, kind, volume, certificate) in rows:
        name, year, sex, blood, phone, national_id = PEOPLE[person]
        lines.append([name, str(year), sex if with_sex else "", blood if with_blood else "",
                      phone if with_phone else "", national_id if with_id else "",
                      f"{FIRST_DAY + dt.timedelta(days=day):%d/%m/%Y}", KINDS[kind][0],
                      "" if volume is None else str(volume), certificate or ""])
    if bad_row:
        lines.append(["Lê Văn Tám", "1980", "", "", "", "", "31/02/2025", "", "", ""])
    return write_csv(tmp_path / "generated.csv", lines, headers=HEADERS)


def content(session, *, skip=("audit_log",)) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    session.expire_all()
    return {table.name: [tuple(row) for row in session.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in SQLModel.metadata.sorted_tables if table.name not in skip}


def run(session, path, now, rules, **options):
    report = import_donations(session=session, path=path, rules=rules, now=now, today=now.date(), **options)
    session.commit()
    assert report.rows_read == report.imported + report.repeated_rows + report.rejected_rows
    return report


# Donor fields an import recomputes from the donations table.
DERIVED = {"donation_count", "last_donation_on", "last_donation_type", "eligible_again_on", "deferred_until"}


def donor_fields(session) -> dict[int, dict]:
    session.expire_all()
    return {donor.id: {name: value for name, value in donor.model_dump().items() if name not in DERIVED}
            for donor in session.scalars(select(Donor))}


@PROPERTY
@given(state=prior_and_file())
def test_an_import_never_removes_or_alters_a_recorded_donation_or_donor_field(session, now, rules, tmp_path, state):
    registered, rows = state
    build_prior(session, now, registered)
    donations_before = content(session)["donations"]
    donors_before = donor_fields(session)
    run(session, file_of(tmp_path, rows), now, rules, skip_invalid=True)
    assert set(donations_before) <= set(content(session)["donations"])  # rows hold their ids
    donors_after = donor_fields(session)
    assert all(donors_after[donor_id] == fields for donor_id, fields in donors_before.items())


@PROPERTY
@given(state=prior_and_file())
def test_importing_the_same_file_twice_changes_nothing_the_second_time(session, now, rules, tmp_path, state):
    registered, rows = state
    build_prior(session, now, registered)
    path = file_of(tmp_path, rows)
    run(session, path, now, rules, skip_invalid=True)
    once = content(session)
    again = run(session, path, now, rules, skip_invalid=True)
    assert content(session) == once
    assert (again.imported, again.created) == (0, 0)


@PROPERTY
@given(state=prior_and_file(), dry_run=st.booleans())
def test_a_refused_or_dry_import_leaves_the_database_as_it_was(session, now, rules, tmp_path, state, dry_run):
    registered, rows = state
    build_prior(session, now, registered)
    before = content(session, skip=())
    report = run(session, file_of(tmp_path, rows, bad_row=not dry_run), now, rules, dry_run=dry_run)
    assert not report.written
    assert content(session, skip=()) == before
