"""When dispatch stops for everyone: the one-line reason, and the coordinators' notice."""

import datetime as dt

from sqlalchemy import Engine

from donor_registry.audit.service import record as audit
from donor_registry.db import session_scope
from donor_registry.i18n import _
from donor_registry.sms.gateway import SmsSendError


def tell_coordinators(*, engine: Engine, now: dt.datetime, error: SmsSendError) -> None:
    """An audit entry `sms.out_of_balance` (coordinators see it in `audit list`)."""
    with session_scope(engine) as session:
        audit(session=session, now=now, actor="sms.dispatcher", action="sms.out_of_balance",
              detail={"error": error.message, "what": "no message goes until the account is topped up"})


def stop_message(error: SmsSendError | None) -> str:
    """Why nothing more goes, for the coordinators (one line)."""
    if error is not None and error.out_of_balance:
        return _("the eSMS account is out of balance ({error}); nothing more was sent and the messages stay "
                 "queued: top up the account at esms.vn, then send again").format(error=error.message)
    if error is not None and error.action == "stop":
        return _("eSMS refused the account, brand name or Zalo OA ({error}); nothing more was sent and the "
                 "messages stay queued: check ESMS_API_KEY, ESMS_SECRET_KEY, sms.sender and sms.esms.oa_id"
                 ).format(error=error.message)
    return _("Twilio refused the account or the sender ({error}); nothing more was sent and the messages "
             "stay queued: check TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and sms.sender").format(error=error or "")
