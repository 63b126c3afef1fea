"""The outbox: messages written in the caller's transaction, one row per idempotency key."""

import datetime as dt
import functools
import itertools
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Boolean, bindparam, text
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from donor_registry.sms.models import OutboxMessage, OutboxStatus


def _insert(session: Session):
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(OutboxMessage).on_conflict_do_nothing(index_elements=["idempotency_key"])


#: (donor_id, to, body, idempotency_key) for enqueue_many.
BulkRow = tuple[int | None, str, str, str]


def outbox_row(
    *, now: dt.datetime, donor_id: int | None, to: str, kind: str, body: str,
    idempotency_key: str, send_after: dt.datetime | None = None, urgent: bool = False,
    link_token_hash: str | None = None,
) -> dict[str, Any]:
    """The column values of a new queued message (for bulk inserts)."""
    if not to or not to.startswith("+"):
        raise ValueError(f"SMS recipient {to!r} is not an E.164 number")
    if not body.strip():
        raise ValueError(f"SMS {idempotency_key!r} has an empty body")
    due = send_after or now
    return {
        "donor_id": donor_id, "to_phone": to, "kind": kind, "body": body,
        "idempotency_key": idempotency_key, "send_after": due, "urgent": urgent,
        "status": OutboxStatus.queued.value, "attempts": 0, "next_attempt_at": due,
        "created_at": now, "updated_at": now, "link_token_hash": link_token_hash,
    }


def enqueue(
    *, session: Session, now: dt.datetime, donor_id: int | None, to: str, kind: str, body: str,
    idempotency_key: str, send_after: dt.datetime | None = None, urgent: bool = False,
    link_token_hash: str | None = None,
) -> OutboxMessage | None:
    """Queue one message in the caller's transaction; None (nothing written) if the key exists.

    `link_token_hash`: the body carries a reply link with REPLY_TOKEN_PLACEHOLDER for its
    token; the dispatcher issues the token at send time (emergency/reply_links.py).
    """
    row = outbox_row(
        now=now, donor_id=donor_id, to=to, kind=kind, body=body,
        idempotency_key=idempotency_key, send_after=send_after, urgent=urgent,
        link_token_hash=link_token_hash,
    )
    session.flush()
    new_id = session.execute(_insert(session).values(**row).returning(OutboxMessage.id)).scalar()
    return None if new_id is None else session.get(OutboxMessage, new_id)


def enqueue_many(
    *, session: Session, now: dt.datetime, kind: str, rows: Iterable[BulkRow],
    send_after: dt.datetime | None = None, urgent: bool = False, chunk: int = 20_000,
) -> int:
    """Bulk-queue (donor_id, to, body, idempotency_key) rows of one kind; existing keys are
    skipped. Returns how many rows were new.

    One INSERT … SELECT over a JSON array per chunk: the shared values are bound once, and
    there is no per-row statement or type conversion (100,000 rows in a few seconds).
    """
    session.flush()
    due = send_after or now
    params = {"kind": kind, "due": due, "now": now, "urgent": urgent,
              "queued": OutboxStatus.queued.value}
    statement = _bulk_statement(session.get_bind().dialect.name)
    connection = session.connection()
    added = 0
    for batch in _chunks(rows, chunk):
        for donor_id, to, body, key in batch:
            if not to or not to.startswith("+") or not body.strip():
                raise ValueError(f"SMS {key!r}: bad recipient {to!r} or empty body")
        result = connection.execute(statement, {**params, "rows": json.dumps(batch)})
        added += result.rowcount
    return added


def _chunks(rows: Iterable[BulkRow], size: int):
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


_COLUMNS = (
    "donor_id, to_phone, kind, body, idempotency_key, send_after, urgent, status, attempts,"
    " next_attempt_at, created_at, updated_at"
)


@functools.cache
def _bulk_statement(dialect: str):
    if dialect == "postgresql":
        source = (
            "SELECT (r->>0)::integer, r->>1, :kind, r->>2, r->>3, :due, :urgent, :queued, 0,"
            " :due, :now, :now FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r"
        )
    else:  # SQLite: "WHERE true" lets the parser tell ON CONFLICT from a join constraint
        source = (
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), :kind,"
            " json_extract(value, '$[2]'), json_extract(value, '$[3]'), :due, :urgent, :queued,"
            " 0, :due, :now, :now FROM json_each(:rows) WHERE true"
        )
    sql = (
        f"INSERT INTO sms_outbox ({_COLUMNS}) {source}"
        " ON CONFLICT (idempotency_key) DO NOTHING"
    )
    return text(sql).bindparams(
        bindparam("due", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime()),
        bindparam("urgent", type_=Boolean()),
    )
