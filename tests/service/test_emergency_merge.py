"""Merging two records of one donor who were both asked for the same request keeps one call-out."""

from sqlmodel import select

from donor_registry.config import Settings
from donor_registry.donors.duplicates import merge_donors
from donor_registry.emergency import answers
from donor_registry.emergency.models import Answer, CallOut
from tests.service import emergency_support as make


def test_merge_folds_the_duplicates_callout_into_the_kept_one(session, now, rules, db_url):
    cfg = Settings(database={"url": db_url}, emergency={"wave_margin": 1.0})
    hospital, _ = make.hospital(session, now)
    keep = make.donor(session, now, name="Lê Thị Hồng")
    duplicate = make.donor(session, now, name="Le Thi Hong")  # another phone: asked twice
    request = make.request(session, now, cfg, hospital.id, units=1)  # asks 2
    assert sorted(make.asked(session, request.id)) == sorted([keep, duplicate])
    answers.answer_by_phone(session=session, now=now, settings=cfg, request_id=request.id,
                            donor_id=duplicate, accept=True, actor="test")

    merge_donors(session=session, keep_id=keep, duplicate_id=duplicate, rules=rules, now=now, command="t")

    callouts = list(session.exec(select(CallOut).where(CallOut.request_id == request.id)))
    assert [(c.donor_id, c.answer) for c in callouts] == [(keep, Answer.accepted)]
