"""eSMS.vn answer codes (../shared/esms/esms-api/bang-ma-loi.md) and what the dispatcher does.

Every send answers HTTP 200 with ``CodeResult``; the code decides:
  accepted   100, and 124 (this RequestId was already accepted in the last 24 h: a retry of a
             message that went, answered as a duplicate instead of sent twice);
  retry      160 (too many requests a second), HTTP 5xx, timeouts, connection errors;
  stop       the account, key, IP, brand name, OA or request shape is wrong: every message
             would fail the same way (101, 102, 104, 118, 140, 143, 300, 799, 801, 802);
  balance    103: out of balance. Stop everything and tell the coordinators;
  mark phone 99 (number blocked at eSMS), 108 (not a valid phone number);
  fail row   the text or template is not registered / refused for this message (146, 177,
             201, 789, 790, 791); other messages can still go.
"""

from dataclasses import dataclass

ACCEPTED = "100"
DUPLICATE_REQUEST = "124"
OUT_OF_BALANCE = "103"

RETRY = frozenset({"160"})
STOP = frozenset({"101", "102", "104", "118", "140", "143", "300", "799", "801", "802"})
MARK_PHONE = frozenset({"99", "108"})
FAIL_ROW = frozenset({"146", "177", "201", "789", "790", "791"})

#: Plain words for the coordinators (from bang-ma-loi.md).
MEANING = {
    "99": "the phone number is blocked at eSMS",
    "101": "wrong ESMS_API_KEY or ESMS_SECRET_KEY",
    "102": "the eSMS account has no price list",
    "103": "the eSMS account is out of balance",
    "104": "the brand name (sms.sender) is not registered or not active at eSMS",
    "108": "the phone number is not valid",
    "118": "eSMS does not support this message type",
    "124": "this RequestId was already sent",
    "140": "this server's IP address is not whitelisted at eSMS",
    "143": "the eSMS account is not activated or is locked",
    "146": "the SMS text does not match a customer-care template registered for the brand name",
    "160": "too many requests a second",
    "177": "the brand name is not registered with this carrier",
    "201": "the text contains a blocked keyword",
    "300": "the message type is missing",
    "789": "the ZNS template is not configured for this Zalo OA",
    "790": "the ZNS parameters do not match the template",
    "791": "the Zalo OA ID or ZNS template id is missing",
    "799": "the Zalo OA (sms.esms.oa_id) is not active or not added to the eSMS account",
    "801": "scheduled sends are not allowed in over-quota mode",
    "802": "the Zalo OA may not send in over-quota mode",
}

#: Zalo's error numbers in a ZNS callback's error_info meaning "this person cannot get ZNS
#: from us": no Zalo account / inactive, blocked the OA, or declined ZNS (Zalo ZNS error list).
NO_ZALO_ERRORS = frozenset({-108, -114, -118, -119, -124, -139})


@dataclass(frozen=True)
class Verdict:
    action: str  # accepted | retry | stop | balance | mark_phone | fail
    code: str
    text: str


def verdict(code: str | None) -> Verdict:
    code = (code or "").strip()
    meaning = MEANING.get(code, "an answer eSMS does not document")
    if code in (ACCEPTED, DUPLICATE_REQUEST):
        return Verdict("accepted", code, meaning)
    if code == OUT_OF_BALANCE:
        return Verdict("balance", code, meaning)
    for action, codes in (("retry", RETRY), ("stop", STOP), ("mark_phone", MARK_PHONE)):
        if code in codes:
            return Verdict(action, code, meaning)
    return Verdict("fail", code, meaning)  # FAIL_ROW and anything undocumented
