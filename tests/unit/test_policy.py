"""The policy against a hand-written table of roles, actions and chapters."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from donor_registry.accounts.models import Role
from donor_registry.accounts.policy import Action, Actor, allows

A = Action
# Hand-written: what each role may do, whatever the chapter.
TABLE = {
    Role.viewer: {A.view_dashboard, A.change_own_password, A.read_lists},
    Role.coordinator: {A.view_dashboard, A.change_own_password, A.read_lists, A.see_personal_data,
                       A.work_donors, A.work_drives, A.work_sms, A.work_honours, A.work_emergency},
    Role.admin: set(Action),
}


def _actor(role, chapter_id=12, reach=frozenset({12, 120, 121})):
    return Actor(user_id=1, login="x", role=role, chapter_id=chapter_id, reach=reach)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_each_role_has_exactly_its_actions(role, action):
    assert allows(_actor(role), action) == (action in TABLE[role])
    assert allows(_actor(role), action, 121) == (action in TABLE[role])  # a chapter below its own
    assert not allows(_actor(role), action, 13)  # a sibling chapter
    assert not allows(_actor(role), action, None)  # data of no chapter


def test_nobody_signed_in_may_do_nothing():
    assert not any(allows(None, action) for action in Action)


@given(role=st.sampled_from(list(Role)), action=st.sampled_from(list(Action)),
       reach=st.frozensets(st.integers(1, 50), max_size=8), chapter=st.integers(1, 60))
def test_reach_is_the_only_thing_a_chapter_changes(role, action, reach, chapter):
    actor = _actor(role, chapter_id=min(reach, default=None), reach=reach)
    assert allows(actor, action, chapter) == (action in TABLE[role] and chapter in reach)
    whole = _actor(role, chapter_id=None, reach=None)
    assert allows(whole, action, chapter) == (action in TABLE[role])
