"""The recording checks (recording.py) on an import's donations, after they are written.

Two SQL queries name the donors who might break a check: registered donors with two counted
donations closer than the earlier one's interval (if any donation of a donor conflicts with another,
some pair adjacent in date order does, so comparing neighbours misses none), and those whose
imported donations fall outside the ages or near a weight or volume limit. New donors' rows
are watched as they stream past instead (stats.py): rows in date order, each after the waits
before it, break no interval. Only these donors' histories are read back and judged by the pure rule, so a clean million-row file costs two
queries. Imported donations are judged in date order against the registry's and the file's
donations accepted so far.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, select, text

from donor_registry.eligibility import APHERESIS, DonorFacts, EligibilityRules, PastDonation
from donor_registry.importing.bulk import DONATIONS, DONORS
from donor_registry.recording import NewDonation, RecordingCheck, recording_check
from donor_registry.types import DonationType, Sex

_PAGE = 5000


@dataclass(frozen=True)
class Violating:
    donation_id: int
    donor_id: int
    verdict: RecordingCheck


def violations(
    conn: Connection, rules: EligibilityRules, *, first_new_id: int, first_new_donor: int, unsettled: Iterable[int],
    keep: bool,
) -> Iterator[Violating]:
    """Imported donations (ids from first_new_id on) of the touched donors that break a check.

    Donors created by the import (ids from first_new_donor on) are judged only when named in
    `unsettled` (their rows came out of date order or inside an interval, stats.py) or near a
    limit; registered donors are looked at in the database. With keep, a violating donation
    stays and counts for the ones after it."""
    suspects = sorted(_suspect_donors(conn, rules, first_new_id, first_new_donor) | set(unsettled))
    for start in range(0, len(suspects), _PAGE):
        part = suspects[start:start + _PAGE]
        facts = {row.id: row for row in conn.execute(
            select(DONORS.c.id, DONORS.c.date_of_birth, DONORS.c.birth_year, DONORS.c.sex, DONORS.c.weight_kg)
            .where(DONORS.c.id.in_(part)))}
        history: dict[int, list] = {donor_id: [] for donor_id in part}
        for row in conn.execute(
                select(DONATIONS.c.id, DONATIONS.c.donor_id, DONATIONS.c.donated_on, DONATIONS.c.type,
                       DONATIONS.c.volume_ml)
                .where(DONATIONS.c.donor_id.in_(part), DONATIONS.c.outcome == "donated",
                       DONATIONS.c.voided_at.is_(None))
                .order_by(DONATIONS.c.donor_id, DONATIONS.c.donated_on, DONATIONS.c.id)):
            history[row.donor_id].append(row)
        for donor_id in part:
            if donor_id in facts:  # a donor created only by rows not written is gone again
                yield from _judge(facts[donor_id], history[donor_id], rules, first_new_id, keep)


def _judge(donor, rows: list, rules: EligibilityRules, first_new_id: int, keep: bool) -> Iterator[Violating]:
    counted = [PastDonation(r.donated_on, DonationType(r.type)) for r in rows if r.id < first_new_id]
    base = DonorFacts(date_of_birth=donor.date_of_birth, birth_year=donor.birth_year, sex=Sex(donor.sex),
                      weight_kg=donor.weight_kg)
    for row in (r for r in rows if r.id >= first_new_id):
        new = NewDonation(row.donated_on, DonationType(row.type), row.volume_ml)
        verdict = recording_check(DonorFacts(**{**vars(base), "donations": tuple(counted)}), new, rules)
        if not verdict.ok:
            yield Violating(row.id, row.donor_id, verdict)
        if verdict.ok or keep:
            counted.append(PastDonation(new.date, new.type))


def _suspect_donors(conn: Connection, rules: EligibilityRules, first_new_id: int, first_new_donor: int) -> set[int]:
    sqlite = conn.dialect.name == "sqlite"
    waits = " ".join(f"WHEN '{kind.value}' THEN {int(days)}" for kind, days in rules.interval_days.items())
    gap = "julianday(donated_on) - julianday(prev_on)" if sqlite else "donated_on - prev_on"
    window = "OVER (PARTITION BY donor_id ORDER BY donated_on, id)"
    close_pairs = text(
        "SELECT DISTINCT donor_id FROM ("
        f" SELECT donor_id, donated_on, lag(donated_on) {window} AS prev_on, lag(type) {window} AS prev_type"
        " FROM donations WHERE donor_id IN (SELECT id FROM import_touched WHERE id < :first_new_donor)"
        " AND outcome = 'donated' AND voided_at IS NULL"
        f") AS pairs WHERE prev_on IS NOT NULL AND {gap} < (CASE prev_type {waits} END)")
    if sqlite:
        adult_from = ("CASE WHEN p.date_of_birth IS NOT NULL THEN date(p.date_of_birth, '+' || :min_age || ' years')"
                      " WHEN p.birth_year IS NOT NULL THEN printf('%04d-01-01', p.birth_year + :min_age) END")
        old_from = ("CASE WHEN p.date_of_birth IS NOT NULL"
                    " THEN date(p.date_of_birth, '+' || (:max_age + 1) || ' years', '-1 day')"
                    " WHEN p.birth_year IS NOT NULL THEN printf('%04d-12-31', p.birth_year + :max_age + 1) END")
    else:
        adult_from = ("CASE WHEN p.date_of_birth IS NOT NULL"
                      " THEN CAST(p.date_of_birth + make_interval(years => :min_age) AS DATE) + 1"
                      " WHEN p.birth_year IS NOT NULL THEN make_date(p.birth_year + :min_age, 1, 1) END")
        old_from = ("CASE WHEN p.date_of_birth IS NOT NULL"
                    " THEN CAST(p.date_of_birth + make_interval(years => :max_age + 1) AS DATE) - 1"
                    " WHEN p.birth_year IS NOT NULL THEN make_date(p.birth_year + :max_age + 1, 12, 31) END")
    apheresis = ", ".join(f"'{kind.value}'" for kind in sorted(APHERESIS))
    # A superset of recording.py's age, weight and volume limits, with a day's margin on the
    # ages (the databases add years to 29 February differently) and a millilitre on volumes.
    # Judged once per donor on the aggregate of its new donations (its first and last day,
    # largest volume, any apheresis), which breaks a limit exactly when one of them does: date
    # arithmetic once per donor, not per row. On SQLite the new rows are one rowid range, read
    # in order (its donor index would make it a random read of a million rows).
    rowid_range = " NOT INDEXED" if sqlite else ""
    near_limits = text(
        "SELECT p.id FROM (SELECT donor_id, min(donated_on) AS first_on, max(donated_on) AS last_on,"
        f" max(volume_ml) AS most_ml, max(CASE WHEN type IN ({apheresis}) THEN 1 ELSE 0 END) AS apheresis"
        f" FROM donations{rowid_range} WHERE id >= :first AND outcome = 'donated' AND voided_at IS NULL"
        " GROUP BY donor_id) AS d JOIN donors p ON p.id = d.donor_id WHERE"
        f" d.first_on < ({adult_from}) OR d.last_on >= ({old_from})"
        " OR p.weight_kg < (CASE WHEN p.sex = 'male' THEN :male_minimum ELSE :female_minimum END)"
        " OR (d.apheresis = 1 AND p.weight_kg < :apheresis_minimum)"
        " OR d.most_ml > :lowest_maximum OR d.most_ml > p.weight_kg * :ml_per_kg - 1"
        " OR (p.weight_kg < :full_from AND d.most_ml > :light)")
    params = {
        "first": first_new_id, "min_age": rules.min_age, "max_age": rules.max_age,
        "male_minimum": rules.min_weight_male_kg, "female_minimum": rules.min_weight_female_kg,
        "apheresis_minimum": rules.min_weight_apheresis_kg,
        "lowest_maximum": min(rules.max_volume_ml, rules.max_apheresis_volume_ml),
        "ml_per_kg": rules.ml_per_kg, "full_from": rules.full_volume_from_kg, "light": rules.max_volume_ml_light,
    }
    registered = set(conn.execute(close_pairs, {"first_new_donor": first_new_donor}).scalars())
    return registered | set(conn.execute(near_limits, params).scalars())
