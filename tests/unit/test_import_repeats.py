"""Which donations an import wrote repeat another: same donor, day, type and outcome, and no
certificate number or volume known on both that differs (README, "An import only adds")."""

import datetime as dt

from donor_registry.importing.repeats import same_day_repeats
from donor_registry.importing.written import WrittenDonations

DAY = dt.date(2025, 3, 1)


def _written(ids: list[int]) -> WrittenDonations:
    written = WrittenDonations()
    written.lines.extend(range(2, 2 + len(ids)))
    written.record([(donation_id,) for donation_id in ids], 0)
    return written


def _row(donation_id, donor_id=7, *, kind="whole_blood", outcome="donated", volume=None, certificate=None, day=DAY):
    return (donation_id, donor_id, day, kind, outcome, volume, certificate)


def test_a_recorded_pair_stays_and_a_written_row_repeating_it_goes():
    # Donations 1 and 2 were recorded before the import (two on one day, as legacy systems
    # leave); 10 and 11 are the import's, and each repeats the first kept donation it matches: 1.
    groups = [_row(1, volume=350), _row(2, volume=250), _row(10, volume=350), _row(11, volume=350)]
    assert list(same_day_repeats(groups, _written([10, 11]))) == [(10, 7, 1), (11, 7, 1)]


def test_a_known_difference_keeps_the_row():
    groups = [
        _row(10, certificate="HM-1"), _row(11, certificate="HM-2"),  # different certificates: both kept
        _row(12, volume=250), _row(13, volume=350),  # 12 repeats 10 (no volume on 10), 13 too
    ]
    assert list(same_day_repeats(groups, _written([10, 11, 12, 13]))) == [(12, 7, 10), (13, 7, 10)]


def test_another_type_outcome_donor_or_day_is_another_group():
    groups = [
        _row(10), _row(11, kind="platelet_apheresis"), _row(12, outcome="deferred"),
        _row(13, donor_id=8), _row(14, day=DAY + dt.timedelta(days=1)),
    ]
    assert list(same_day_repeats(groups, _written([10, 11, 12, 13, 14]))) == []


def test_recorded_rows_are_never_repeats_themselves():
    groups = [_row(1), _row(2), _row(3)]
    assert list(same_day_repeats(groups, _written([]))) == []
