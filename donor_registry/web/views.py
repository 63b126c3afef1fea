"""What the pages show, as plain values (labels in the current language)."""

from donor_registry.accounts.models import Role
from donor_registry.accounts.policy import ROLE_ACTIONS, Action
from donor_registry.i18n import N_, _

ROLE_LABELS = {Role.admin: N_("administrator"), Role.coordinator: N_("coordinator"), Role.viewer: N_("viewer")}

#: What a role's actions mean to a person, in the order the dashboard lists them.
ACTION_LABELS = {
    Action.read_lists: N_("Read reports and lists (phones and ID numbers masked)"),
    Action.see_personal_data: N_("See a donor's phone and ID number in full (each view is recorded)"),
    Action.work_donors: N_("Register and update donors, record donations"),
    Action.work_drives: N_("Plan campaigns and drives"),
    Action.work_sms: N_("Send SMS invitations and reminders"),
    Action.work_honours: N_("Honours and ceremonies"),
    Action.work_emergency: N_("Emergency call-outs"),
    Action.manage_users: N_("Manage the accounts of your chapter and the chapters below it"),
    Action.manage_settings: N_("Change the settings of your chapter"),
}

def role_label(role: Role) -> str:
    return _(ROLE_LABELS[role])


def dashboard_cards(current) -> dict:
    actions = ROLE_ACTIONS[current.actor.role]
    return {
        "may": [_(label) for action, label in ACTION_LABELS.items() if action in actions],
        "admin": Action.manage_users in actions,
    }
