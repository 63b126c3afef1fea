"""Finding the same person registered twice, and merging the two records into one."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select, update
from sqlmodel import Session, SQLModel

from donor_registry.donations.models import Donation
from donor_registry.donations.service import refresh_donor_stats
from donor_registry.donors import name_words
from donor_registry.donors.models import Donor, DonorMerge
from donor_registry.donors.service import get_donor, refuse_erased
from donor_registry.donors.settings import DuplicateSettings
from donor_registry.eligibility import EligibilityRules
from donor_registry.errors import UserError
from donor_registry.i18n import N_, _
from donor_registry.phones import mask_phone

# Fields a merge copies from the duplicate when the donor kept has no value of its own.
FILLABLE = (
    "date_of_birth", "birth_year", "abo", "rh",
    "address", "commune", "commune_key", "district", "district_key", "province", "province_key",
    "weight_kg", "weight_measured_on", "consent_at", "consent_channel",
)


# A domain whose rows could collide on a unique key when moved to the donor kept registers a
# hook here: hook(*, session, keep_id, duplicate_id, now), run first, in the merge's transaction.
BEFORE_MERGE: list[Callable[..., None]] = []


@dataclass
class DuplicatePair:
    first: Donor
    second: Donor
    reasons: list[str] = field(default_factory=list)


def find_duplicates(*, session: Session, settings: DuplicateSettings, where=None) -> list[DuplicatePair]:
    """Candidate pairs of active donors that look like one person, each with its reasons.

    National IDs are unique in the registry (a second registration is refused), so the
    ID rule acts at entry and import; here pairs come from a shared phone or from the same
    folded name with a compatible birth date or year, in the same commune or where one of
    them has none. These are the namesakes an import keeps apart (they differ on a national
    ID, a blood group, a sex or a phone): what differs is named so a person can decide.
    `where`: a clause both donors of a pair meet (the workspace's chapter reach).
    """
    pairs: dict[tuple[int, int], DuplicatePair] = {}
    if settings.match_phone:
        for group in _groups(session, Donor.phone_e164, where=where):
            for a, b in _each_pair(group):
                _add(pairs, a, b, _("same phone {phone}").format(phone=mask_phone(a.phone_e164)))
    if settings.match_name_birth_commune:
        for group in _groups(session, Donor.name_folded, Donor.birth_year, where=where):
            for a, b in _each_pair(group):
                if _same_birth(a, b) and _same_commune(a, b):
                    both = a.commune_key is not None and b.commune_key is not None
                    _add(pairs, a, b, _("same name, birth and commune") if both else _("same name and birth"))
    for pair in pairs.values():
        differ = _differences(pair.first, pair.second)
        if differ:
            pair.reasons.append(_("but different {fields}").format(fields=", ".join(differ)))
    return sorted(pairs.values(), key=lambda pair: (pair.first.id, pair.second.id))


def _same_commune(a: Donor, b: Donor) -> bool:
    return a.commune_key is None or b.commune_key is None or a.commune_key == b.commune_key


def _differences(a: Donor, b: Donor) -> list[str]:
    """The identity fields both know and disagree on."""
    def differ(name: str) -> bool:
        one, other = getattr(a, name), getattr(b, name)
        return one is not None and other is not None and one != other and "unknown" not in (one, other)

    found = [_(label) for label, names in ((N_("national IDs"), ("national_id",)), (N_("sex"), ("sex",)),
                                           (N_("blood groups"), ("abo", "rh")), (N_("phones"), ("phone_e164",)))
             if any(differ(name) for name in names)]
    return found


def _groups(session: Session, *columns, where=None) -> list[list[Donor]]:
    active = Donor.merged_into_id.is_(None) if where is None else and_(Donor.merged_into_id.is_(None), where)
    not_null = [column.is_not(None) for column in columns]
    shared = (
        select(*columns).where(active, *not_null).group_by(*columns).having(func.count() > 1).subquery()
    )
    join_on = [getattr(Donor, column.key) == shared.c[column.key] for column in columns]
    donors = session.scalars(select(Donor).join(shared, and_(*join_on)).where(active).order_by(Donor.id))
    grouped: dict[tuple, list[Donor]] = defaultdict(list)
    for donor in donors:
        grouped[tuple(getattr(donor, column.key) for column in columns)].append(donor)
    return list(grouped.values())


def _each_pair(group: list[Donor]):
    for i, a in enumerate(group):
        for b in group[i + 1:]:
            yield a, b


def _same_birth(a: Donor, b: Donor) -> bool:
    if a.date_of_birth and b.date_of_birth:
        return a.date_of_birth == b.date_of_birth
    return a.birth_year == b.birth_year


def _add(pairs: dict, a: Donor, b: Donor, reason: str) -> None:
    pair = pairs.setdefault((a.id, b.id), DuplicatePair(a, b))
    pair.reasons.append(reason)


def merge_donors(
    *, session: Session, keep_id: int, duplicate_id: int, rules: EligibilityRules,
    now: dt.datetime, command: str,
) -> DonorMerge:
    """Move every record of the duplicate to the donor kept, in the caller's transaction.

    Every table with a foreign key to donors follows automatically, so records added by
    later features (awards, messages, call-outs) move too. The duplicate stays as a
    tombstone pointing at the donor kept; the merge row keeps its values as they were.
    """
    if keep_id == duplicate_id:
        raise UserError(_("a donor cannot be merged into itself"))
    keep = get_donor(session=session, donor_id=keep_id)
    duplicate = get_donor(session=session, donor_id=duplicate_id)
    refuse_erased(keep)
    refuse_erased(duplicate)
    before = _donation_count(session, keep_id) + _donation_count(session, duplicate_id)
    snapshot = duplicate.model_dump(mode="json")
    for hook in BEFORE_MERGE:
        hook(session=session, keep_id=keep_id, duplicate_id=duplicate_id, now=now)
    # The duplicate's name words go, not move: the kept donor is found by its own name.
    name_words.forget(session=session, donor_ids=[duplicate_id])
    moved = _move_references(session, duplicate_id, keep_id)
    _fill_missing_fields(keep, duplicate, session)
    duplicate.merged_into_id, duplicate.updated_at, keep.updated_at = keep_id, now, now
    session.add_all([keep, duplicate])
    session.flush()
    refresh_donor_stats(session=session, donor_ids=[keep_id, duplicate_id], rules=rules)
    if _donation_count(session, keep_id) != before:
        raise RuntimeError("merge would lose donations; nothing was changed")
    merge = DonorMerge(
        kept_id=keep_id, merged_id=duplicate_id, merged_at=now, command=command,
        moved=moved, snapshot=snapshot,
    )
    session.add(merge)
    session.flush()
    return merge


def _donation_count(session: Session, donor_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Donation).where(Donation.donor_id == donor_id))


def _move_references(session: Session, from_id: int, to_id: int) -> dict[str, int]:
    moved: dict[str, int] = {}
    donors_table = Donor.__table__
    for table in SQLModel.metadata.sorted_tables:
        if table.name in ("donors", "donor_merges"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table is donors_table:
                result = session.execute(
                    update(table).where(fk.parent == from_id).values({fk.parent.name: to_id})
                )
                if result.rowcount:
                    moved[f"{table.name}.{fk.parent.name}"] = result.rowcount
    return moved


def _fill_missing_fields(keep: Donor, duplicate: Donor, session: Session) -> None:
    if keep.national_id is None and duplicate.national_id is not None:
        # The column is unique: free the value on the duplicate before the kept donor takes it.
        national_id, duplicate.national_id = duplicate.national_id, None
        session.add(duplicate)
        session.flush()
        keep.national_id = national_id
    for name in FILLABLE:
        if getattr(keep, name) is None and getattr(duplicate, name) is not None:
            setattr(keep, name, getattr(duplicate, name))
    if keep.phone_e164 is None and duplicate.phone_e164 is not None:
        keep.phone_e164, keep.phone_sms_capable = duplicate.phone_e164, duplicate.phone_sms_capable
    keep.standby = keep.standby or duplicate.standby
