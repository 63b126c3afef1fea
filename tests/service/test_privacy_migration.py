"""0013_privacy turns the consent to be contacted held on donors into `contact_sms` rows."""

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select
from sqlmodel.sql.sqltypes import UTCDateTime

from donor_registry.db import _alembic_config, upgrade
from donor_registry.privacy.models import DonorConsent, Purpose
from donor_registry.types import ConsentChannel

OLD_DONORS = sa.table(
    "donors", sa.column("id", sa.Integer), sa.column("full_name", sa.String), sa.column("name_folded", sa.String),
    sa.column("sex", sa.String), sa.column("phone_sms_capable", sa.Boolean), sa.column("standby", sa.Boolean),
    sa.column("donation_count", sa.Integer), sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime), sa.column("consent_at", UTCDateTime),
    sa.column("consent_channel", sa.String), sa.column("consent_withdrawn_at", UTCDateTime),
)


def test_existing_consent_to_be_contacted_becomes_a_contact_sms_row(engine, now):
    command.downgrade(_alembic_config(engine), "0007_lean_indexes")
    later = now.replace(month=7)
    base = {"sex": "unknown", "phone_sms_capable": True, "standby": False, "donation_count": 0,
            "created_at": now, "updated_at": now}
    with engine.begin() as conn:
        conn.execute(sa.insert(OLD_DONORS), [
            {"id": 1, "full_name": "A", "name_folded": "a", "consent_at": now, "consent_channel": "paper",
             "consent_withdrawn_at": None, **base},
            {"id": 2, "full_name": "B", "name_folded": "b", "consent_at": now, "consent_channel": "import",
             "consent_withdrawn_at": later, **base},
            {"id": 3, "full_name": "C", "name_folded": "c", "consent_at": None, "consent_channel": None,
             "consent_withdrawn_at": None, **base},
        ])
    upgrade(engine)
    with Session(engine) as session:
        rows = [(r.donor_id, r.purpose, r.given_at, r.channel, r.withdrawn_at)
                for r in session.exec(select(DonorConsent).order_by(DonorConsent.donor_id))]
    assert rows == [(1, Purpose.contact_sms, now, ConsentChannel.paper, None),
                    (2, Purpose.contact_sms, now, ConsentChannel.import_file, later)]
