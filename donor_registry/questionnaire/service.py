"""The questionnaire behind a drive link: submit the answers (kept only under the donor's
health-data consent), read the current ones, and the summary staff see at check-in.

The link fixes the donor and the drive, as on the drive page; writes are audited with the link
as the actor ("drive-link:<id>"), and no answer goes into the audit detail.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from donor_registry.audit import service as audit
from donor_registry.campaigns.models import Drive, DriveStatus
from donor_registry.donors.models import Donor
from donor_registry.privacy import consents
from donor_registry.privacy.models import Purpose
from donor_registry.questionnaire import form as forms
from donor_registry.questionnaire.models import QuestionnaireAnswer
from donor_registry.questionnaire.rules import Result, Verdict, evaluate
from donor_registry.slots.links import TIMEZONE, actor_of, open_link
from donor_registry.slots.models import BookingStatus, DriveLink, SlotBooking
from donor_registry.types import ConsentChannel

ERASED = "[erased]"


class Closed(Exception):
    """The drive was cancelled: there is nothing to answer for."""


class Crossed(Exception):
    """Another submission for the same donor and drive was kept at the same moment: this one was not."""


@dataclass
class Opened:
    link: DriveLink
    donor: Donor
    drive: Drive
    form: forms.Form
    questions: tuple[forms.Question, ...]  # those asked of this donor
    consented: bool  # the donor's health-data consent is open
    current: QuestionnaireAnswer | None  # the answers kept for this drive, if any


@dataclass
class Submitted:
    verdict: Verdict
    stored: QuestionnaireAnswer | None  # None: no consent, nothing kept


@dataclass
class Summary:
    """What staff see at check-in: the answers that need attention and the result."""

    answer_id: int
    form_version: str
    submitted_at: dt.datetime
    result: str
    may_give_from: dt.date | None
    attention: list[tuple[forms.Question, bool]]  # (question, the answer given) for each deferring answer


def open_questionnaire(*, session: Session, token: str, now: dt.datetime, timezone: str = TIMEZONE) -> Opened:
    """The form for the link's donor (LinkProblem for a bad link)."""
    link, donor, drive = open_link(session=session, token=token, now=now, timezone=timezone)
    form = forms.load()
    return Opened(link=link, donor=donor, drive=drive, form=form, questions=form.asked(donor.sex.value),
                  consented=consents.open_grant(session, donor.id, Purpose.health_data) is not None,
                  current=current_answer(session=session, drive_id=drive.id, donor_id=donor.id))


def submit(*, session: Session, token: str, answers: dict[str, bool], consent: bool, now: dt.datetime,
           timezone: str = TIMEZONE) -> Submitted:
    """The verdict on the answers; they are kept (superseding the drive's earlier answers) only if
    the donor's health-data consent is open or given now. MissingAnswers when one is missing."""
    opened = open_questionnaire(session=session, token=token, now=now, timezone=timezone)
    if opened.drive.status == DriveStatus.cancelled:
        raise Closed(token)
    asked = {q.id for q in opened.questions}
    answers = {key: value for key, value in answers.items() if key in asked}
    answered_on = now.astimezone(ZoneInfo(timezone)).date()
    verdict = evaluate(opened.form, answers, drive_date=opened.drive.date, answered_on=answered_on,
                       sex=opened.donor.sex.value)
    if not (opened.consented or consent):
        return Submitted(verdict=verdict, stored=None)
    actor = actor_of(opened.link)
    savepoint = session.begin_nested()
    try:
        row = _keep(session, opened, answers, verdict, consent_now=not opened.consented, actor=actor, now=now)
    except IntegrityError:  # a parallel submission made its row current first (the unique partial index)
        savepoint.rollback()
        raise Crossed(token) from None
    savepoint.commit()
    audit.record(session=session, now=now, actor=actor, action="questionnaire.submit", subject_type="donor",
                 subject_id=opened.donor.id, detail={"drive_id": opened.drive.id, "answer_id": row.id,
                                                     "form_version": row.form_version,
                                                     "superseded_id": opened.current.id if opened.current else None})
    return Submitted(verdict=verdict, stored=row)


def _keep(session: Session, opened: Opened, answers: dict[str, bool], verdict: Verdict, *, consent_now: bool,
          actor: str, now: dt.datetime) -> QuestionnaireAnswer:
    if consent_now:
        consents.give(session=session, donor=opened.donor, purpose=Purpose.health_data, channel=ConsentChannel.web,
                      now=now, actor=actor)
    if opened.current is not None:
        opened.current.superseded_at = now
        session.add(opened.current)
        session.flush()
    row = QuestionnaireAnswer(donor_id=opened.donor.id, drive_id=opened.drive.id,
                              booking_id=_booking_id(session, opened.donor.id, opened.drive.id),
                              form_version=opened.form.version, answers=answers, result=verdict.result.value,
                              may_give_from=verdict.until, submitted_at=now)
    session.add(row)
    session.flush()
    return row


def current_answer(*, session: Session, drive_id: int, donor_id: int) -> QuestionnaireAnswer | None:
    return session.execute(select(QuestionnaireAnswer).where(
        QuestionnaireAnswer.drive_id == drive_id, QuestionnaireAnswer.donor_id == donor_id,
        QuestionnaireAnswer.superseded_at.is_(None), QuestionnaireAnswer.erased_at.is_(None))).scalar()


def summary_for(session: Session, drive_id: int, donor_id: int) -> Summary | None:
    """The donor's current answers for the drive as staff see them, or None when none are kept.
    Not audited here: the page that shows it records the view (web/check_in.py)."""
    row = current_answer(session=session, drive_id=drive_id, donor_id=donor_id)
    if row is None:
        return None
    try:
        questions = forms.load(row.form_version).questions
    except FileNotFoundError:  # a version no longer shipped: the result without the questions
        questions = ()
    attention = [(q, row.answers[q.id]) for q in questions
                 if q.defers_on is not None and row.answers.get(q.id) == q.defers_on]
    return Summary(answer_id=row.id, form_version=row.form_version, submitted_at=row.submitted_at,
                   result=row.result, may_give_from=row.may_give_from, attention=attention)


def erase(*, session: Session, donor_ids: list[int], now: dt.datetime) -> int:
    """Scrub the answers and results of these donors (the rows stay, empty: erasure keeps no
    health data); returns how many rows were scrubbed."""
    return session.execute(update(QuestionnaireAnswer).where(QuestionnaireAnswer.donor_id.in_(donor_ids))
                           .values(answers={}, result=ERASED, may_give_from=None, erased_at=now)).rowcount


def _booking_id(session: Session, donor_id: int, drive_id: int) -> int | None:
    return session.execute(select(SlotBooking.id).where(
        SlotBooking.donor_id == donor_id, SlotBooking.drive_id == drive_id,
        SlotBooking.status == BookingStatus.active)).scalar()


__all__ = ["Closed", "Crossed", "Opened", "Result", "Submitted", "Summary", "current_answer", "erase", "open_questionnaire",
           "submit", "summary_for"]
