"""Reply links whose token is never kept in clear.

The outbox keeps a call's text with `REPLY_TOKEN_PLACEHOLDER` where the token goes, and the
hash of the token last handed to the provider (`link_token_hash`, the call-out holds the same
hash). Each time the dispatcher sends the text afresh it draws a new token, writes its hash to
both in the claim's transaction (before anything goes out), and puts the token in the text it
sends. A token replaced this way never reached anyone. After a crash the provider's copy is
recognised by its token's hash, so the look-up stays exact.
"""

from collections.abc import Callable

from sqlalchemy import update
from sqlmodel import Session

from donor_registry.emergency.models import CallOut
from donor_registry.emergency.tokens import REPLY_TOKEN_PLACEHOLDER, new_reply_token, token_hash
from donor_registry.sms.models import OutboxMessage


def issue(*, session: Session, message_id: int, stored_body: str, old_hash: str) -> tuple[str, str]:
    """A fresh token for the message's link: (the text to send, the new hash)."""
    token = new_reply_token()
    new_hash = token_hash(token)
    session.execute(update(CallOut).where(CallOut.reply_token_hash == old_hash)
                    .values(reply_token_hash=new_hash))
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                    .values(link_token_hash=new_hash))
    return with_token(stored_body, token), new_hash


def with_token(stored_body: str, token: str) -> str:
    return stored_body.replace(REPLY_TOKEN_PLACEHOLDER, token, 1)


def matcher(stored_body: str, link_hash: str) -> Callable[[str], bool]:
    """Whether a text the provider holds is `stored_body` with the token of hash `link_hash`."""
    head, _, tail = stored_body.partition(REPLY_TOKEN_PLACEHOLDER)

    def matches(body: str) -> bool:
        if len(body) <= len(head) + len(tail) or not (body.startswith(head) and body.endswith(tail)):
            return False
        token = body[len(head):len(body) - len(tail)]
        return not any(c.isspace() for c in token) and token_hash(token) == link_hash

    return matches
