"""Consent to be contacted, as an import records it: the donors' consent columns and their
`contact_sms` consent rows (privacy.models.DonorConsent), set-based in the import's transaction."""

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Connection

from donor_registry.importing import staging
from donor_registry.importing.bulk import DONORS, _Converter, _mark


def record_consents(conn: Connection, donor_ids: Iterable[int], *, now: dt.datetime) -> int:
    """Record consent through the import for these donors, unless they consented before or
    withdrew consent (a withdrawal stands until the donor gives consent again, in person).
    Returns how many donors it recorded."""
    now_value = _Converter(DONORS.c.consent_at.type, conn.dialect)(now)
    cursor = conn.connection.driver_connection.cursor()
    mark = _mark(conn)
    if staging.is_postgres(conn):  # the same two statements, set-based over the ids
        staging.load_ids(conn, "import_consenting", sorted(donor_ids))
        cursor.execute("UPDATE donors SET consent_at = %s, consent_channel = 'import', updated_at = %s"
                       " WHERE id IN (SELECT id FROM import_consenting)"
                       " AND consent_at IS NULL AND consent_withdrawn_at IS NULL", (now_value, now_value))
        recorded = cursor.rowcount
        cursor.execute(_CONTACT_CONSENT.format(mark="%s", which="IN (SELECT id FROM import_consenting)"),
                       (now_value,))
        conn.exec_driver_sql("DROP TABLE import_consenting")
        return recorded
    rows = [(now_value, now_value, donor_id) for donor_id in sorted(donor_ids)]
    cursor.executemany(f"UPDATE donors SET consent_at = {mark}, consent_channel = 'import', updated_at = {mark}"
                       f" WHERE id = {mark} AND consent_at IS NULL AND consent_withdrawn_at IS NULL", rows)
    recorded = cursor.rowcount
    record_contact_consent_rows(conn, donor_ids, now=now)
    return recorded


def record_new_donor_consents(conn: Connection, *, new_from: int, now: dt.datetime) -> None:
    """The `contact_sms` consent rows of the donors this import created (ids from new_from on)
    with the consent column ticked, in one statement."""
    now_value = _Converter(DONORS.c.consent_at.type, conn.dialect)(now)
    mark = _mark(conn)
    conn.connection.driver_connection.cursor().execute(
        "INSERT INTO donor_consents (donor_id, purpose, given_at, channel, recorded_by)"
        f" SELECT id, 'contact_sms', consent_at, consent_channel, 'import' FROM donors"
        f" WHERE id >= {mark} AND consent_at = {mark}", (new_from, now_value))


def record_contact_consent_rows(conn: Connection, donor_ids: Iterable[int], *, now: dt.datetime) -> None:
    """The `contact_sms` consent row (privacy.models.DonorConsent) of each of these donors whose
    donors.consent_* the import set at `now`."""
    now_value = _Converter(DONORS.c.consent_at.type, conn.dialect)(now)
    cursor = conn.connection.driver_connection.cursor()
    mark = _mark(conn)
    cursor.executemany(_CONTACT_CONSENT.format(mark=mark, which=f"= {mark}"),
                       [(donor_id, now_value) for donor_id in sorted(donor_ids)])


_CONTACT_CONSENT = (
    "INSERT INTO donor_consents (donor_id, purpose, given_at, channel, recorded_by)"
    " SELECT id, 'contact_sms', consent_at, consent_channel, 'import' FROM donors WHERE id {which}"
    " AND consent_at = {mark} AND consent_withdrawn_at IS NULL AND NOT EXISTS (SELECT 1 FROM donor_consents c"
    " WHERE c.donor_id = donors.id AND c.purpose = 'contact_sms' AND c.withdrawn_at IS NULL)")
