"""Text longer than its column holds is refused before it is written, naming the field.

PostgreSQL refuses it with "value too long for type character varying(300)", which names no
field; SQLite stores it whole. Every service that writes through the ORM gets the same plain
error on both engines ("Tên: dài hơn 200 ký tự"), whatever form or command the text came from.
Bulk writes (the importer's executemany and COPY) check their cells themselves
(importing/values.py).
"""

from sqlalchemy import Enum, String, event, inspect
from sqlmodel import Session

from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.i18n.validation import field_label


def too_long(instance) -> str | None:
    """'Tên: dài hơn 200 ký tự' for the first text attribute longer than its column, else None."""
    for attribute in inspect(type(instance)).column_attrs:
        kind = attribute.columns[0].type
        kind = getattr(kind, "impl_instance", kind)  # sqlmodel's AutoString decorates a String
        limit = kind.length if isinstance(kind, String) and not isinstance(kind, Enum) else None
        value = getattr(instance, attribute.key, None) if limit else None
        if isinstance(value, str) and len(value) > limit:
            return "{}: {}".format(field_label(attribute.key), _("is longer than {max_length} characters").format(
                max_length=limit))
    return None


@event.listens_for(Session, "before_flush")
def _refuse_text_too_long(session, _flush_context, _instances) -> None:
    for instance in (*session.new, *session.dirty):
        problem = too_long(instance)
        if problem:
            raise UserError(problem)
