"""Text longer than its column is one plain error naming the field, on both engines, and nothing
is written (PostgreSQL would say "value too long for type character varying(200)", SQLite would
store it whole)."""

import pytest
from sqlmodel import SQLModel, func, select

from donor_registry.db import session_scope
from donor_registry.emergency.hospitals import add_hospital
from donor_registry.emergency.models import Hospital
from donor_registry.errors import UserError
from donor_registry.lengths import too_long

pytestmark = pytest.mark.usefixtures("english")

WHERE = {"province": "Thành phố Hà Nội", "commune": "Phường Ba Đình"}


def test_a_name_one_character_too_long_is_refused_naming_the_field(engine, now):
    with pytest.raises(UserError, match=r"^Name: is longer than 200 characters$"), session_scope(engine) as session:
        add_hospital(session=session, now=now, name="B" * 201, **WHERE)
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Hospital)).one() == 0


def test_a_name_as_long_as_the_column_is_stored_whole(engine, now):
    with session_scope(engine) as session:
        add_hospital(session=session, now=now, name="B" * 200, **WHERE)
    with session_scope(engine) as session:
        assert len(session.exec(select(Hospital.name)).one()) == 200


def test_a_change_too_long_is_refused_too(engine, now):
    with session_scope(engine) as session:
        hospital, _token = add_hospital(session=session, now=now, name="Bệnh viện Bạch Mai", **WHERE)
    with pytest.raises(UserError, match=r"^Commune: is longer than 100 characters$"), session_scope(engine) as session:
        session.get(Hospital, hospital.id).commune = "x" * 101
    with session_scope(engine) as session:
        assert session.get(Hospital, hospital.id).commune == "Phường Ba Đình"


def _bounded_text_columns():
    for mapper in SQLModel._sa_registry.mappers:
        for attribute in mapper.column_attrs:
            kind = attribute.columns[0].type
            kind = getattr(kind, "impl_instance", kind)
            length = getattr(kind, "length", None)
            if length and type(kind).__name__ in {"String", "VARCHAR", "AutoString"}:
                yield mapper.class_, attribute.key, length


@pytest.mark.parametrize("model, key, length", list(_bounded_text_columns()),
                         ids=lambda value: getattr(value, "__name__", str(value)))
def test_every_bounded_text_column_is_checked(model, key, length):
    assert too_long(model(**{key: "x" * length})) is None
    problem = too_long(model(**{key: "x" * (length + 1)}))
    assert problem is not None and problem.endswith(f"is longer than {length} characters")
