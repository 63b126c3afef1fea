"""The pre-donation questionnaire behind the donor's drive link (/b/{token}/questionnaire): the
form (GET), and the answers (POST) with the verdict in kind words. Forms only, no scripts; the
answers are kept only when the donor gives, or already gave, the health-data consent.

A bad or expired link is a 404 as on the drive page; a missing answer shows the form again with
the donor's answers and nothing kept.
"""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from donor_registry import i18n
from donor_registry.api.booking_pages import _not_found, _speak_chosen
from donor_registry.api.deps import SessionDep, SettingsDep, speak
from donor_registry.api.emergency import now_of
from donor_registry.api.html import message, render
from donor_registry.i18n import _
from donor_registry.questionnaire import service
from donor_registry.questionnaire.rules import MissingAnswers
from donor_registry.slots.links import LinkProblem

router = APIRouter(tags=["donor pages"], include_in_schema=False, dependencies=[Depends(speak)])
#: The most form fields a submission may carry (the form has about twenty).
MAX_FIELDS = 100


def _form_page(http: Request, token: str, opened: service.Opened, answers: dict[str, bool], *,
               missing: list[str] = (), status_code: int = 200) -> HTMLResponse:
    return render(http, "questionnaire.html", status_code=status_code, token=token, opened=opened, answers=answers,
                  missing=set(missing), language=i18n.current_language())


@router.get("/b/{token}/questionnaire", response_class=HTMLResponse)
def questionnaire(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    try:
        opened = service.open_questionnaire(session=session, token=token, now=now_of(http),
                                            timezone=settings.general.timezone)
    except LinkProblem:
        return _not_found(http)
    _speak_chosen(opened.donor.id, http, session)
    return _form_page(http, token, opened, dict(opened.current.answers) if opened.current else {})


@router.post("/b/{token}/questionnaire", response_class=HTMLResponse)
async def answer(token: str, http: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    fields = await http.form(max_fields=MAX_FIELDS)
    answers = {key.removeprefix("q_"): value == "yes" for key, value in fields.items()
               if key.startswith("q_") and value in ("yes", "no")}
    consent = fields.get("health_consent") == "yes"
    return _answer(http, token, session, settings, answers, consent)


def _answer(http: Request, token: str, session, settings, answers: dict[str, bool], consent: bool) -> HTMLResponse:
    now, timezone = now_of(http), settings.general.timezone
    try:
        opened = service.open_questionnaire(session=session, token=token, now=now, timezone=timezone)
        _speak_chosen(opened.donor.id, http, session)
        submitted = service.submit(session=session, token=token, answers=answers, consent=consent, now=now,
                                   timezone=timezone)
    except LinkProblem:
        return _not_found(http)
    except MissingAnswers as missing:
        return _form_page(http, token, opened, answers, missing=missing.question_ids, status_code=422)
    except service.Crossed:
        return message(http, _("Your answers were sent twice"), _(
            "Your answers were sent twice at the same moment and this copy was not kept: please open the "
            "questions again to see the answers kept."), status_code=409)
    except service.Closed:
        return message(http, _("This drive was cancelled"), _(
            "This drive was cancelled: there are no questions to answer for it."), status_code=409)
    texts = {q.id: q for q in opened.form.questions}
    return render(http, "questionnaire_result.html", token=token, verdict=submitted.verdict,
                  stored=submitted.stored is not None, drive=opened.drive, questions=texts,
                  language=i18n.current_language())
