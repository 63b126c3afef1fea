"""A drive's call list in the workspace: the XLSX the CLI writes (`drives call-list`) and a
printable sign-in sheet. Only donors of the user's chapter and below are listed; phones are in
full only for a role that may see them, and each list with phones in full is audited."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from donor_registry.accounts.policy import Action, within_reach
from donor_registry.api.deps import SessionDep
from donor_registry.campaigns import call_list as calls
from donor_registry.chapter_settings.service import drive_ring
from donor_registry.donors.models import Donor
from donor_registry.web.deps import Current, require, speak
from donor_registry.web.drive_forms import drive_view
from donor_registry.web.drives import drive_within_reach
from donor_registry.web.templating import HEADERS, render

router = APIRouter(prefix="/drives", tags=["workspace"], include_in_schema=False, dependencies=[Depends(speak)])
Reader = Annotated[Current, Depends(require(Action.read_lists))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Empty lines at the end of the sign-in sheet, for donors who come without an invitation.
WALK_IN_LINES = 10


def _listed(request: Request, session, current: Current, drive_id: int, via: str) -> calls.CallList:
    drive = drive_within_reach(session, current, drive_id, Action.read_lists)
    settings = request.app.state.settings
    listed = calls.call_list(session=session, drive=drive, rules=settings.eligibility,
                             ring=drive_ring(session=session, settings=settings, chapter_id=drive.chapter_id),
                             masked=not current.may(Action.see_personal_data, drive.chapter_id),
                             donors_within=within_reach(current.actor, Donor.chapter_id))
    calls.audit_shown(session=session, now=current.now, actor=current.actor.audit_name, listed=listed, via=via)
    return listed


@router.get("/{drive_id}/call-list.xlsx")
def call_list_xlsx(request: Request, session: SessionDep, current: Reader, drive_id: int) -> Response:
    listed = _listed(request, session, current, drive_id, "web xlsx")
    name = f"call-list-drive-{listed.drive.id}-{listed.drive.date.isoformat()}.xlsx"
    return Response(calls.xlsx_bytes(listed), media_type=XLSX, headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{drive_id}/sign-in-sheet")
def sign_in_sheet(request: Request, session: SessionDep, current: Reader, drive_id: int) -> Response:
    """The list to print on A4 for the drive's door: one line a donor, a column to sign."""
    listed = _listed(request, session, current, drive_id, "web sign-in sheet")
    return render(request, "drives/sign_in_sheet.html", listed=listed, drive=drive_view(listed.drive),
                  title=calls.title(listed), walk_ins=range(len(listed.entries) + 1,
                                                            len(listed.entries) + 1 + WALK_IN_LINES))
