"""The place rule in SQL, shared by `chapters place`, migration 0018 and imports: a row joins
its commune's chapter, else its province's, else the national one. One UPDATE per table over
the rows without a chapter (an import on PostgreSQL computes it as the rows move from staging
instead, importing/job.py); works on a Connection (no models), so the migration can use it.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from donor_registry.chapters.service import path_range


def nearest_sql(table: str) -> str:
    """The id of the chapter the rule gives a row of `table` (NULL when none: no such chapter
    and `:national` NULL). The `kind` literals let both databases use the partial unique indexes."""
    return (f"coalesce((SELECT c.id FROM chapters c WHERE c.kind = 'commune' AND c.commune_code = {table}.commune_code),"
            f" (SELECT c.id FROM chapters c WHERE c.kind = 'province' AND c.province_code = {table}.province_code),"
            " :national)")


def national_id(conn: sa.Connection) -> int | None:
    return conn.scalar(sa.text("SELECT id FROM chapters WHERE kind = 'national'"))


def place_rows(conn: sa.Connection, table: str, national: int | None, *, new_from: int | None = None) -> int:
    """Rows of `table` without a chapter (those with ids from `new_from` on, when given) join the
    chapter of the rule; returns how many rows have a chapter now that had none."""
    only_new = " AND id >= :new_from" if new_from is not None else ""
    before = conn.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE chapter_id IS NULL{only_new}"),
                         {"new_from": new_from})
    conn.execute(sa.text(f"UPDATE {table} SET chapter_id = {nearest_sql(table)} WHERE chapter_id IS NULL{only_new}"),
                 {"national": national, "new_from": new_from})
    after = conn.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE chapter_id IS NULL{only_new}"),
                        {"new_from": new_from})
    return before - after


@dataclass(frozen=True)
class Placement:
    """Where the donors an import creates go: all into `chapter_id` (`import --chapter`), else by
    the rule; with `within` (the uploader's chapter, from the workspace) a donor whose rule
    chapter is not `within` or below it goes into `within` itself. Donors the import matched
    keep their chapter."""

    chapter_id: int | None = None
    within: int | None = None


BY_PLACE = Placement()  # the rule alone (`import` without --chapter)


def chapter_of_new_donor(conn: sa.Connection, placement: Placement, table: str) -> tuple[str, dict] | None:
    """The SQL expression (and its parameters) of the chapter a new donor row of `table` joins;
    None when there is no chapter at all yet (a registry started by an import)."""
    if not conn.scalar(sa.text("SELECT count(*) FROM chapters")):
        return None
    if placement.chapter_id is not None:
        return ":chosen", {"chosen": placement.chapter_id}
    if placement.within is None:
        return nearest_sql(table), {"national": national_id(conn)}
    low, high = path_range(conn.execute(sa.text("SELECT path FROM chapters WHERE id = :id"),
                                        {"id": placement.within}).scalar_one())
    within = (f"coalesce((SELECT r.id FROM chapters r WHERE r.id = {nearest_sql(table)}"
              " AND r.path >= :low AND r.path < :high), :within)")
    return (within,
            {"national": national_id(conn), "low": low, "high": high, "within": placement.within})


def place_new_donors(conn: sa.Connection, chapter: tuple[str, dict] | None, *,
                     new_from: int) -> list[tuple[str, str, int]]:
    """Put the donors without a chapter with ids from `new_from` on (an import's new donors) in
    the chapter `chapter` (chapter_of_new_donor over "donors") gives them, in one UPDATE; None:
    placed already. Returns (code, name, how many) for each chapter the new donors joined."""
    if chapter is not None:
        expression, params = chapter
        conn.execute(sa.text(f"UPDATE donors SET chapter_id = {expression}"
                             " WHERE chapter_id IS NULL AND id >= :new_from"), {**params, "new_from": new_from})
    return [tuple(row) for row in conn.execute(sa.text(
        "SELECT c.code, c.name, count(*) FROM donors d JOIN chapters c ON c.id = d.chapter_id"
        " WHERE d.id >= :new_from GROUP BY c.code, c.name, c.path ORDER BY c.path"), {"new_from": new_from})]
