"""Today's district-based data onto the chapter tree (migration 0018), in plain SQL.

Hospitals' and drives' addresses as entered are converted like donors' (places.legacy.convert:
certain, or kept as entered without a commune). Then a province chapter per province present, a
commune chapter per resolved commune, and every row joins the nearest: its commune's chapter,
else its province's, else the national one. `chapters unmapped` lists the rows left above the
commune level. Works on a Connection, so the migration does not depend on today's models.
"""

import datetime as dt

import sqlalchemy as sa

from donor_registry.chapters import placing
from donor_registry.chapters.places import chapter_name
from donor_registry.chapters.service import NATIONAL_CODE, NATIONAL_NAME
from donor_registry.places import legacy, units
from donor_registry.text import fold

CHAPTERS = sa.table(
    "chapters", sa.column("id", sa.Integer), sa.column("code", sa.String), sa.column("name", sa.String),
    sa.column("name_folded", sa.String), sa.column("kind", sa.String), sa.column("parent_id", sa.Integer),
    sa.column("province_code", sa.String), sa.column("commune_code", sa.String), sa.column("path", sa.String),
    sa.column("created_at", sa.DateTime), sa.column("updated_at", sa.DateTime),
)
PLACED = ("donors", "drives", "hospitals")


def map_existing_data(conn: sa.Connection, now: dt.datetime) -> dict[str, int]:
    """Convert the places of hospitals and drives, build the tree, attach every row; counts."""
    for table in ("hospitals", "drives"):
        _convert_places(conn, table)
    conn.execute(sa.text(
        "UPDATE emergency_requests SET province_code = (SELECT h.province_code FROM hospitals h"
        " WHERE h.id = emergency_requests.hospital_id), commune_code = (SELECT h.commune_code"
        " FROM hospitals h WHERE h.id = emergency_requests.hospital_id)"))
    if not any(conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
               for t in (*PLACED, "campaigns", "honour_ceremonies")):
        return {}
    tree = _Tree(conn, now)
    for code in _distinct(conn, "province_code"):
        tree.province(code)
    for code in _distinct(conn, "commune_code"):
        tree.commune(code)
    counts = {table: _attach(conn, table, tree.national_id) for table in PLACED}
    counts["honour_ceremonies"] = _attach_ceremonies(conn, tree)
    counts["campaigns"] = _attach_campaigns(conn, tree)
    return counts


def _convert_places(conn: sa.Connection, table: str) -> None:
    rows = conn.execute(sa.text(f"SELECT id, province, district, commune FROM {table}")).all()
    for row_id, province, district, commune in rows:
        found = legacy.convert(province, district, commune)
        conn.execute(sa.text(f"UPDATE {table} SET province_code = :p, commune_code = :c WHERE id = :id"),
                     {"p": found.province_code, "c": found.commune_code, "id": row_id})


def _distinct(conn: sa.Connection, column: str) -> list[str]:
    union = " UNION ".join(f"SELECT {column} FROM {t} WHERE {column} IS NOT NULL" for t in PLACED)
    return sorted(code for (code,) in conn.execute(sa.text(union)))


class _Tree:
    """The chapters made so far, by official code."""

    def __init__(self, conn: sa.Connection, now: dt.datetime):
        self.conn, self.now = conn, now
        existing = conn.execute(sa.select(CHAPTERS.c.id, CHAPTERS.c.kind, CHAPTERS.c.province_code,
                                          CHAPTERS.c.commune_code, CHAPTERS.c.path)).all()
        self.paths = {row.id: row.path for row in existing}
        self.provinces = {r.province_code: r.id for r in existing if r.kind == "province"}
        self.communes = {r.commune_code: r.id for r in existing if r.kind == "commune"}
        national = [r.id for r in existing if r.kind == "national"]
        self.national_id = national[0] if national else self._add(
            code=NATIONAL_CODE, name=NATIONAL_NAME, kind="national", parent_id=None)

    def province(self, code: str) -> int:
        if code not in self.provinces:
            self.provinces[code] = self._add(
                code=f"{NATIONAL_CODE}-{code}", name=chapter_name(province_code=code) or code, kind="province",
                parent_id=self.national_id, province_code=code)
        return self.provinces[code]

    def commune(self, code: str) -> int:
        if code not in self.communes:
            unit = units.commune(code)
            parent = self.province(unit.province_code)
            self.communes[code] = self._add(
                code=f"{NATIONAL_CODE}-{unit.province_code}-{code}", name=chapter_name(commune_code=code),
                kind="commune", parent_id=parent, province_code=unit.province_code, commune_code=code)
        return self.communes[code]

    def _add(self, *, code: str, name: str, kind: str, parent_id: int | None, **codes) -> int:
        new_id = self.conn.execute(CHAPTERS.insert().values(
            code=code, name=name, name_folded=fold(name), kind=kind, parent_id=parent_id,
            path=f"tmp:{code}", created_at=self.now, updated_at=self.now, **codes,
        ).returning(CHAPTERS.c.id)).scalar_one()
        path = f"{self.paths[parent_id] if parent_id else '/'}{new_id}/"
        self.conn.execute(CHAPTERS.update().where(CHAPTERS.c.id == new_id).values(path=path))
        self.paths[new_id] = path
        return new_id


def _attach(conn: sa.Connection, table: str, national_id: int | None) -> int:
    """Rows of `table` without a chapter join their commune's, else their province's, else the
    national chapter (when given); returns how many rows have a chapter now that had none."""
    return placing.place_rows(conn, table, national_id)


def place_unplaced(conn: sa.Connection) -> dict[str, int]:
    """Donors, drives and hospitals without a chapter join the nearest chapter of their address
    (commune, else province, else national); counts placed per table."""
    national = placing.national_id(conn)
    return {table: _attach(conn, table, national) for table in PLACED}


def _attach_ceremonies(conn: sa.Connection, tree: _Tree) -> int:
    """A district ceremony goes to the chapter of the province its old district now lies in
    (when the district name is known in one province only); the rest to the national chapter."""
    rows = conn.execute(sa.text("SELECT id, district FROM honour_ceremonies WHERE chapter_id IS NULL")).all()
    for ceremony_id, district in rows:
        chapter = tree.national_id
        if district:
            every_old_province = {p.code for p in legacy.old_provinces("")}
            new = {legacy.old_provinces(d.province_code)[0].new_code
                   for d in legacy.old_districts(district, every_old_province)}
            if len(new) == 1:
                chapter = tree.province(new.pop())
        conn.execute(sa.text("UPDATE honour_ceremonies SET chapter_id = :c WHERE id = :id"),
                     {"c": chapter, "id": ceremony_id})
    return len(rows)


def _attach_campaigns(conn: sa.Connection, tree: _Tree) -> int:
    """A campaign whose drives all lie in one province goes to that province's chapter."""
    rows = conn.execute(sa.text("SELECT id FROM campaigns WHERE chapter_id IS NULL")).all()
    for (campaign_id,) in rows:
        provinces = {code for (code,) in conn.execute(sa.text(
            "SELECT DISTINCT province_code FROM drives WHERE campaign_id = :id"), {"id": campaign_id})}
        chapter = tree.province(provinces.pop()) if len(provinces) == 1 and None not in provinces else tree.national_id
        conn.execute(sa.text("UPDATE campaigns SET chapter_id = :c WHERE id = :id"), {"c": chapter, "id": campaign_id})
    return len(rows)
