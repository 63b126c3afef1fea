"""Who may do what, in one place: `allows(actor, action, chapter_id)`.

As in datasette's permission check, every question is (actor, action, resource): the role gives
the actions, the actor's chapter gives the reach (its chapter and every chapter below it), and
a resource in a chapter outside the reach is refused whatever the role. Pure: the reach is
computed once per request (accounts.chapters.reach) and handed in with the actor.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, false, true

from donor_registry.accounts.models import Role


class Action(StrEnum):
    view_dashboard = "dashboard.view"
    change_own_password = "account.password"
    read_lists = "lists.read"  # reports and lists, phones and national IDs masked
    see_personal_data = "donors.personal"  # a phone or national ID in full (audited)
    work_donors = "donors.write"
    work_drives = "drives.write"
    work_sms = "sms.write"
    work_honours = "honours.write"
    work_emergency = "emergency.write"
    manage_users = "users.manage"
    manage_settings = "settings.manage"
    read_audit = "audit.read"


_EVERYONE = frozenset({Action.view_dashboard, Action.change_own_password, Action.read_lists})
_COORDINATION = frozenset({Action.see_personal_data, Action.work_donors, Action.work_drives, Action.work_sms,
                           Action.work_honours, Action.work_emergency})
_ADMINISTRATION = frozenset({Action.manage_users, Action.manage_settings, Action.read_audit})

#: The whole table. An admin also coordinates its chapter (a small chapter has one person).
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.viewer: _EVERYONE,
    Role.coordinator: _EVERYONE | _COORDINATION,
    Role.admin: _EVERYONE | _COORDINATION | _ADMINISTRATION,
}


@dataclass(frozen=True)
class Actor:
    """A signed-in user as the policy sees them. `reach` None: the whole registry."""

    user_id: int
    login: str
    role: Role
    chapter_id: int | None
    reach: frozenset[int] | None

    @property
    def audit_name(self) -> str:
        return f"user:{self.login}"


#: Passed as chapter_id for an action on no particular chapter's data.
NO_CHAPTER = object()


def allows(actor: Actor | None, action: Action, chapter_id=NO_CHAPTER) -> bool:
    """May `actor` do `action` (on a resource of `chapter_id`, when one is named)?

    A resource with chapter_id None belongs to no chapter: only a whole-registry actor reaches it.
    """
    if actor is None or action not in ROLE_ACTIONS[actor.role]:
        return False
    if chapter_id is NO_CHAPTER or actor.reach is None:
        return True
    return chapter_id is not None and chapter_id in actor.reach


def within_reach(actor: Actor, column) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose chapter column is within the actor's reach (for lists,
    searches and exports, so another chapter's rows are never even read)."""
    if actor.reach is None:
        return true()
    if not actor.reach:
        return false()
    return column.in_(sorted(actor.reach))


def may_manage(actor: Actor, user_chapter_id: int | None) -> bool:
    """An admin manages the accounts of its chapter and below."""
    return allows(actor, Action.manage_users, user_chapter_id)


def masks_personal_data(actor: Actor) -> bool:
    return not allows(actor, Action.see_personal_data)
