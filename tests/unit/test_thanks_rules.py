"""The pure rules of closing the loop: the thank-you's key, the /h form's numbers, which
donations a request's hospital may mark and which units of a drive may be released."""

import pytest

from donor_registry.thanks.rules import (
    DonationFacts,
    refs_of,
    releasable,
    resolve,
    thank_you_key,
    usable_for,
)

REQUEST, DRIVE = 7, 3
LAN = DonationFacts(id=12, certificate_no="HM-0001", emergency_request_id=REQUEST, drive_id=None, donated=True, voided=False)
MINH = DonationFacts(id=13, certificate_no="500", emergency_request_id=REQUEST, drive_id=DRIVE, donated=True, voided=False)
DEFERRED = DonationFacts(id=14, certificate_no=None, emergency_request_id=REQUEST, drive_id=DRIVE, donated=False, voided=False)
VOIDED = DonationFacts(id=15, certificate_no=None, emergency_request_id=REQUEST, drive_id=DRIVE, donated=True, voided=True)
ELSEWHERE = DonationFacts(id=16, certificate_no="12", emergency_request_id=8, drive_id=None, donated=True, voided=False)
BY_ID = {f.id: f for f in (LAN, MINH, DEFERRED, VOIDED, ELSEWHERE)}
BY_CERTIFICATE = {f.certificate_no: f for f in BY_ID.values() if f.certificate_no}


def test_the_key_is_one_a_donation_and_not_the_after_donation_thank_you():
    assert thank_you_key(12) == "blood_reached:donation:12"
    assert thank_you_key(12) != "thank_you:donation:12"  # sms/reminders.py's own thank-you


@pytest.mark.parametrize("raw, refs", [
    ("", []), ("12", ["12"]), ("#12, 13\nHM-0001 ;12", ["12", "13", "HM-0001"]), ("  \n ,, ", []),
])
def test_the_form_reads_numbers_each_once_in_order(raw, refs):
    assert refs_of(raw) == refs


@pytest.mark.parametrize("facts, usable", [(LAN, True), (MINH, True), (DEFERRED, False), (VOIDED, False),
                                           (ELSEWHERE, False), (None, False)])
def test_only_a_counted_donation_given_for_the_request_is_usable(facts, usable):
    assert usable_for(facts, REQUEST) is usable


@pytest.mark.parametrize("facts, allowed", [(MINH, True), (DEFERRED, False), (VOIDED, False), (LAN, False)])
def test_only_the_drives_given_units_are_releasable(facts, allowed):
    assert releasable(facts, DRIVE) is allowed


@pytest.mark.parametrize("refs, ids, wrong", [
    (["12", "HM-0001"], [12], []),  # the same donation twice: once
    (["500"], [13], []),  # no donation #500 of the request: the certificate number
    (["13", "14", "15", "16", "99", "HM-9"], [13], ["14", "15", "16", "99", "HM-9"]),
    (["1" * 30], [], ["1" * 30]),  # too long for a number, and no such certificate
    (["١٢", "²"], [], ["١٢", "²"]),  # digits, but not ASCII ones: not donation #12
])
def test_refs_resolve_to_the_requests_donations_or_are_named_wrong(refs, ids, wrong):
    assert resolve(refs, BY_ID, BY_CERTIFICATE, REQUEST) == (ids, wrong)


@pytest.mark.parametrize("ref, number", [
    ("12", 12), ("2147483647", 2147483647), ("2147483648", None), ("99999999999", None), ("HM-12", None),
    ("１２", None), ("", None),
])
def test_a_number_is_a_donation_number_only_within_the_ids_range(ref, number):
    from donor_registry.thanks.rules import as_number

    assert as_number(ref) == number
