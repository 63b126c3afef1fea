"""Which donations an import wrote repeat another (README, "Repeated rows"): the same donor,
day, donation type and outcome, and no certificate number or volume known on both that differs.
Only rows of this import are repeats; recorded donations stay as they are, even two on one day
as legacy systems left them."""

from collections.abc import Iterable, Iterator

from donor_registry.importing.written import WrittenDonations


def same_day_repeats(groups: Iterable[tuple], written: WrittenDonations) -> Iterator[tuple[int, int, int]]:
    """(donation id, donor id, id of the donation it repeats) of each repeat.

    groups: (donation id, donor id, day, type, outcome, volume, certificate number) of the
    donations sharing a donor and day, ordered by donor, day, type, outcome and id
    (bulk.same_day_groups)."""
    group_key, kept = None, []
    for row in groups:
        donation_id, donor_id, day, kind, outcome, volume, certificate = row
        if (donor_id, day, kind, outcome) != group_key:
            group_key, kept = (donor_id, day, kind, outcome), []
        if not written.wrote(donation_id):  # recorded before this import: never touched
            kept.append(row)
            continue
        first = next((other for other in kept if _same_donation(other, volume, certificate)), None)
        if first is None:
            kept.append(row)
        else:
            yield donation_id, donor_id, first[0]


def _same_donation(other: tuple, volume, certificate) -> bool:
    """Whether a donation of the same donor, day, type and outcome is the one a row repeats."""
    _, _, _, _, _, other_volume, other_certificate = other
    return ((volume is None or other_volume is None or volume == other_volume)
            and (certificate is None or other_certificate is None or certificate == other_certificate))
