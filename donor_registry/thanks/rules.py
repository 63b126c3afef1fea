"""Pure rules of closing the loop: which donations a hospital may mark used, which units of a
drive may be released, the thank-you's key, and how the /h form's numbers are read."""

import re
from dataclasses import dataclass

KIND = "blood_reached"
#: Donations one call may mark at most (a request asks for at most [emergency] max_units donors).
MAX_MARKS = 200


#: The largest donation number there can be: donations.id is a 32-bit INTEGER on PostgreSQL,
#: which refuses to compare with a larger one (an error, not "no such row").
MAX_DONATION_ID = 2**31 - 1


def as_number(ref: str) -> int | None:
    """A donation number typed in ASCII digits that a donation can have, else None (the text may
    still be a certificate number)."""
    if not re.fullmatch(r"[0-9]{1,10}", ref):
        return None
    number = int(ref)
    return number if number <= MAX_DONATION_ID else None


def thank_you_key(donation_id: int) -> str:
    """The outbox key of a donation's thank-you: one per donation, whoever marks it, however often."""
    return f"{KIND}:donation:{donation_id}"


@dataclass(frozen=True)
class DonationFacts:
    id: int
    certificate_no: str | None
    emergency_request_id: int | None
    drive_id: int | None
    donated: bool  # outcome donated (not deferred)
    voided: bool


def usable_for(facts: DonationFacts | None, request_id: int) -> bool:
    """A unit the request's hospital may mark used: given (not deferred, not voided) for that request."""
    return facts is not None and facts.emergency_request_id == request_id and facts.donated and not facts.voided


def releasable(facts: DonationFacts, drive_id: int) -> bool:
    """A unit of the drive a coordinator may release to a hospital: given there, not deferred, not voided."""
    return facts.drive_id == drive_id and facts.donated and not facts.voided


def refs_of(raw: str) -> list[str]:
    """Donation numbers or certificate numbers typed one a line, or separated by commas or spaces;
    each once, in the order typed ('#12' is 12)."""
    seen: dict[str, None] = {}
    for word in re.split(r"[\s,;]+", raw or ""):
        word = word.strip().lstrip("#")
        if word:
            seen.setdefault(word, None)
    return list(seen)


def resolve(refs: list[str], by_id: dict[int, DonationFacts], by_certificate: dict[str, DonationFacts],
            request_id: int) -> tuple[list[int], list[str]]:
    """(donation ids the refs name, in order and each once; the refs that name no donation the
    request's hospital may mark). A digit-only ref is a donation number, else a certificate number;
    a certificate number made of digits is tried when no donation of the request has that number."""
    ids: dict[int, None] = {}
    wrong: list[str] = []
    for ref in refs:
        number = as_number(ref)
        facts = by_id.get(number) if number is not None else None
        if not usable_for(facts, request_id):
            facts = by_certificate.get(ref)
        if usable_for(facts, request_id):
            ids.setdefault(facts.id, None)
        else:
            wrong.append(ref)
    return list(ids), wrong
