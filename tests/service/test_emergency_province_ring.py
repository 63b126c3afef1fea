"""The province and neighbouring-province rings read one (province, group) at a time
(emergency/province_ring.py) give the donors a plain sort of the whole ring would.

The hand-written case: an A+ recipient (red cells), so A+ is called first (rank 0), then O+
(2), A− (3), O− (5); B+ never. Donors are numbered in the order below; the ring holds Cần Thơ
(92) and Vĩnh Long (86); Hà Nội (01) is outside it.

 #  group  province    note
 1  O+     92
 2  A+     86
 3  A−     92
 4  A+     92
 5  O−     86
 6  O+     86
 7  A+     92
 8  B+     92          incompatible
 9  A+     01          outside the ring
10  A+     92          not on standby
11  A+     86          opted out of SMS
12  A+     86          claimed by another request
13  O+     92          may give again only after the day
14  A+     86
15  A+     92
16  A+     92

Call order: A+ 2, 4, 7, 14, 15, 16; O+ 1, 6; A− 3; O− 5 (Cần Thơ's A+ outnumber most limits:
the first of them by number must be the ones read).
"""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from donor_registry.donors.models import Donor
from donor_registry.emergency import matching
from donor_registry.emergency.compatibility import (
    ALL_GROUPS,
    compatible_donors,
    donor_preference_rank,
)
from donor_registry.emergency.models import DonorClaim, EmergencyRequest
from donor_registry.places.rings import RingArea
from donor_registry.types import ABO, Rh
from tests.service import emergency_support as make

RING = ("92", "86")
ORDER = [2, 4, 7, 14, 15, 16, 1, 6, 3, 5]
RING_INDEX = 4  # any index: it is handed back with each donor
_GROUPS = sorted(ALL_GROUPS, key=lambda g: (g[0].value, g[1].value))


def _donor(session, now, number: int, group: str, province: str, **extra) -> int:
    abo, rh = ABO(group[:-1]), Rh(group[-1])
    values = {"full_name": f"Nguyễn Văn Vòng{number}", "name_folded": f"nguyen van vong{number}",
              "abo": abo, "rh": rh, "birth_year": 1996, "weight_kg": 60, "phone_e164": f"+8491{number:07d}",
              "phone_sms_capable": True, "standby": True, "consent_at": now, "consent_channel": "paper",
              "province_code": province, "created_at": now, "updated_at": now, **extra}
    donor = Donor(**values)
    session.add(donor)
    session.flush()
    return donor.id


def _request(now, abo="A", rh="+", product="red_cells") -> EmergencyRequest:
    """The request matched (not stored: matching reads only its group, product and place)."""
    return EmergencyRequest(id=-1, abo=abo, rh=rh, product=product, units=1, needed_by=now + dt.timedelta(hours=6),
                            hospital_id=0, created_at=now, created_by="test", province_code="92")


def _claim(session, now, donor_ids: list[int]) -> None:
    """The donors held by another open request."""
    if not donor_ids:
        return
    hospital, _ = make.hospital(session, now, name="Bệnh viện Khác")
    other = EmergencyRequest(abo="O", rh="+", units=1, needed_by=now + dt.timedelta(hours=6), hospital_id=hospital.id,
                             created_at=now, created_by="test")
    session.add(other)
    session.flush()
    session.add_all([DonorClaim(donor_id=donor_id, request_id=other.id, claimed_at=now) for donor_id in donor_ids])
    session.flush()


def _find(session, now, rules, request, provinces, limit, exclude=()):
    query = matching.candidate_query(request=request, now=now, on=now.date(), rules=rules, rotation_days=30,
                                     include_recent=False)
    found = matching.find_candidates(session=session, query=query, limit=limit, exclude=exclude,
                                     areas=[(RING_INDEX, RingArea("neighbours", provinces=provinces))])
    assert {ring for _, ring in found} <= {RING_INDEX}
    return [candidate.donor_id for candidate, _ in found]


def _hand_written(session, now) -> dict[int, int]:
    rows = [("O+", "92", {}), ("A+", "86", {}), ("A-", "92", {}), ("A+", "92", {}), ("O-", "86", {}),
            ("O+", "86", {}), ("A+", "92", {}), ("B+", "92", {}), ("A+", "01", {}), ("A+", "92", {"standby": False}),
            ("A+", "86", {"sms_opted_out_at": now}), ("A+", "86", {}),
            ("O+", "92", {"eligible_again_on": now.date() + dt.timedelta(days=1)}), ("A+", "86", {}), ("A+", "92", {}),
            ("A+", "92", {})]
    ids = {number: _donor(session, now, number, group, province, **extra)
           for number, (group, province, extra) in enumerate(rows, start=1)}
    _claim(session, now, [ids[12]])
    return ids


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 20])
def test_a_ring_of_provinces_gives_rank_then_number_order(session, now, rules, limit):
    ids = _hand_written(session, now)
    assert _find(session, now, rules, _request(now), RING, limit) == [ids[n] for n in ORDER[:limit]]


def test_excluded_donors_are_passed_over_and_the_next_of_their_group_comes_in(session, now, rules):
    ids = _hand_written(session, now)
    excluded = {ids[2], ids[4], ids[1]}
    assert _find(session, now, rules, _request(now), RING, 5, exclude=excluded) == [ids[7], ids[14], ids[15], ids[16],
                                                                                    ids[6]]


def test_one_province_and_a_rare_group(session, now, rules):
    ids = _hand_written(session, now)
    assert _find(session, now, rules, _request(now), ("92",), 20) == [ids[n] for n in (4, 7, 15, 16, 1, 3)]
    # An O− recipient takes O− only: the one in Vĩnh Long.
    assert _find(session, now, rules, _request(now, "O", "-"), RING, 20) == [ids[5]]


def test_a_pick_over_the_wide_rings_alone_follows_the_same_order(session, now, rules):
    ids = _hand_written(session, now)
    picked, widest = matching.pick(session=session, request=_request(now), want=7, now=now, on=now.date(),
                                   rules=rules, rotation_days=30, rings=["province", "neighbours"])
    # The province (Cần Thơ) first: 4, 7, 15, 16, 1, 3; then its neighbours (Vĩnh Long among them): 2.
    assert [c.donor_id for c in picked] == [ids[n] for n in (4, 7, 15, 16, 1, 3, 2)]
    assert widest == "neighbours"


# The property: generated donors over the ring's provinces and one outside it, every group,
# some off standby, opted out, not yet eligible or claimed; any recipient, product, limit and
# exclusion. The reference is the rule in plain Python: keep the callable donors of the ring,
# sort by (preference rank, number), take the limit.
# Common groups more often, so that a (province, group) often holds more donors than the limit.
COMMON = [(ABO.O, Rh.positive), (ABO.A, Rh.positive), (ABO.AB, Rh.positive)]
DONOR = st.tuples(st.sampled_from(["92", "86", "01"]), st.sampled_from(COMMON * 6 + _GROUPS),
                  st.sampled_from(["ok"] * 8 + ["off", "opted_out", "later", "claimed"]))


@hsettings(derandomize=True, max_examples=30, deadline=None, database=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(donors=st.lists(DONOR, min_size=1, max_size=40), recipient=st.sampled_from(_GROUPS),
       product=st.sampled_from(["red_cells", "plasma", "platelets"]),
       limit=st.one_of(st.integers(1, 3), st.integers(1, 12)),
       provinces=st.sampled_from([("92",), ("92", "86"), ("86", "91")]),
       excluded=st.sets(st.integers(0, 39), max_size=5))
def test_the_ring_equals_a_sort_of_every_callable_donor(session, now, rules, donors, recipient, product, limit,
                                                        provinces, excluded):
    savepoint = session.begin_nested()
    try:
        rows = []
        for number, (province, group, state) in enumerate(donors):
            extra = {"standby": state != "off", "sms_opted_out_at": now if state == "opted_out" else None,
                     "eligible_again_on": now.date() + dt.timedelta(days=3) if state == "later" else None}
            donor_id = _donor(session, now, 100 + number, f"{group[0].value}{group[1].value}", province, **extra)
            rows.append((donor_id, province, group, state))
        _claim(session, now, [donor_id for donor_id, _, _, state in rows if state == "claimed"])
        exclude = {rows[i][0] for i in excluded if i < len(rows)}
        compatible = compatible_donors(recipient, product)
        expected = sorted(
            ((donor_preference_rank(group, recipient, product), donor_id)
             for donor_id, province, group, state in rows
             if province in provinces and group in compatible and state == "ok" and donor_id not in exclude))
        request = _request(now, recipient[0].value, recipient[1].value, product)
        found = _find(session, now, rules, request, provinces, limit, exclude)
        assert found == [donor_id for _, donor_id in expected[:limit]]
    finally:
        savepoint.rollback()
