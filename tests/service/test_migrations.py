"""The migrations build exactly the schema the models describe, on both databases."""

import datetime as dt
import hashlib
import re

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from donor_registry.campaigns.drives import add_drive
from donor_registry.campaigns.models import DriveCreate
from donor_registry.campaigns.settings import CampaignSettings
from donor_registry.db import (
    _alembic_config,
    current_revisions,
    head_revisions,
    session_scope,
    upgrade,
)
from donor_registry.slots import service as slot_service
from tests.service import emergency_support as make


def test_migrated_schema_matches_the_models(engine):
    assert current_revisions(engine) == head_revisions(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": _built_on(engine.dialect.name)})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def _built_on(dialect: str):
    """Leave out what the models build on another engine only (`.ddl_if(dialect=…)`: 0041)."""
    def include(obj, name, type_, reflected, compare_to):
        ddl_if = getattr(obj, "_ddl_if", None)
        return ddl_if is None or ddl_if.dialect in (None, dialect)
    return include


def test_the_index_migrations_go_down_and_up_again(engine):
    """0007-0009 only change indexes: down to the revisions before them (0010, which follows
    0007, first), then up, and the schema is the models' again (the down steps rebuild what
    the up steps dropped)."""
    config = _alembic_config(engine)
    command.downgrade(config, "0007_lean_indexes")  # the registry revisions after it first
    # 0012 (hospital suspension) sits above 0008 on the emergency branch: it goes down first.
    for revision in ("0007_lean_indexes", "0012_hospital_suspension", "0008_emergency_partial_index",
                     "0009_campaigns_area_indexes"):
        command.downgrade(config, f"{revision}@-1")
    # 0017 (chapters) sits on 0003 and depends on 0002 and 0005: it stands for all three.
    # 0024 (users' chapters) joins 0023 (accounts) and 0017: it stands for both; 0025 (import runs) sits on
    # it, 0027 (the donor portal) on 0025, 0028 (the audit subject index) on 0027, 0029 (drive slots) on 0028;
    # 0034 (flagged by chapter) on 0029 depends on 0015 and goes with it, 0031 (the search index) above
    # it, and 0030 (the active donors' indexes), which merges 0031, 0009 and 0018, with 0032 (chapter
    # settings), 0033 (drive links), 0035 (booking check-in), 0036 (the slot waiting list), 0037
    # (flagged addresses by province) and 0040 (donation uses) on it.
    assert current_revisions(engine) == {"0029_drive_slots", "0014_sms_channels", "0006_name_words"}
    with engine.connect() as conn:
        index_names = {index["name"] for index in inspect(conn).get_indexes("donations")}
    assert {"ix_donations_donor_id", "ix_donations_drive_id"} <= index_names
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)


def test_reply_tokens_already_in_the_outbox_are_hidden_by_the_upgrade(engine):
    """0011: a call queued before it keeps going, without its token in clear."""
    command.downgrade(_alembic_config(engine), "0014_sms_channels@-1")  # the sms revisions after it
    command.downgrade(_alembic_config(engine), "0011_sms_reply_tokens_hidden@-1")
    token = "Q2xhcmEtdG9rZW4tMjJjaA"
    body = f"Khan cap: can mau O+ tai BV Binh Dan. Tra loi: https://hienmau.example.vn/r/{token}"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO sms_outbox (to_phone, kind, body, idempotency_key, send_after, urgent,"
            " status, attempts, next_attempt_at, created_at, updated_at) VALUES ('+84912000001',"
            " 'emergency_call', :body, 'k', :t, :yes, 'queued', 0, :t, :t, :t)"
        ), {"body": body, "t": "2026-06-01 03:00:00", "yes": True})
    upgrade(engine)
    with engine.connect() as conn:
        stored, link_hash = conn.execute(text("SELECT body, link_token_hash FROM sms_outbox")).one()
    assert stored == body.replace(token, "(reply-token-not-kept)")
    assert link_hash == hashlib.sha256(token.encode()).hexdigest()


def test_the_accounts_migrations_go_down_and_up_again(engine):
    """0024 (the users' chapter key) then 0023 (users, sessions, sign-in attempts) down, then up."""
    config = _alembic_config(engine)
    command.downgrade(config, "0023_accounts")
    command.downgrade(config, "0023_accounts@-1")
    assert not {"users", "user_sessions", "login_attempts"} & set(inspect(engine).get_table_names())
    assert "chapters" in inspect(engine).get_table_names()
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)


def test_the_import_runs_migration_goes_down_and_up_again(engine):
    """0025 (the workspace's import runs) down, then up (0027, 0028 and 0029 above it first)."""
    command.downgrade(_alembic_config(engine), "0024_users_chapters")
    assert "import_runs" not in inspect(engine).get_table_names()
    assert "users" in inspect(engine).get_table_names()
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)


def test_the_donor_portal_migration_goes_down_and_up_again(engine):
    """0027 (record links, codes, availability) down, then up."""
    command.downgrade(_alembic_config(engine), "0025_import_runs")
    assert not {"portal_links", "portal_codes", "donor_availability"} & set(inspect(engine).get_table_names())
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)


def test_the_drive_links_migration_goes_down_and_up_again(engine):
    """0033 (donors' personal drive links) down, then up."""
    command.downgrade(_alembic_config(engine), "0032_chapter_settings")
    assert "drive_links" not in set(inspect(engine).get_table_names())
    assert "slot_bookings" in inspect(engine).get_table_names()
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)


def test_the_drive_slots_migration_goes_down_and_up_again(engine):
    """0029 (drive slots and bookings) down, then up."""
    command.downgrade(_alembic_config(engine), "0028_audit_subject")
    assert not {"drive_slots", "slot_bookings"} & set(inspect(engine).get_table_names())
    assert "drives" in inspect(engine).get_table_names()
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)


def test_the_chapter_settings_migration_goes_down_and_up_again(engine):
    """0032 (a chapter's own settings) down, then up."""
    command.downgrade(_alembic_config(engine), "0030_active_donors_index")
    assert "chapter_settings" not in inspect(engine).get_table_names()
    assert "0030_active_donors_index" in current_revisions(engine)
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)



def test_the_booking_check_in_migration_goes_down_and_up_again_and_gives_old_bookings_a_code(engine, now):
    """0035 (check-in codes and times) down to 0033, then up: bookings made before it get a code each,
    distinct within their drive."""
    with session_scope(engine) as session:
        data = DriveCreate(date=dt.date(2026, 6, 5), start_time=dt.time(7), end_time=dt.time(9), venue="Nhà văn hóa",
                           capacity=4)
        drive, _ = add_drive(session=session, settings=CampaignSettings(), data=data, now=now)
        slot = slot_service.create_slots(session=session, drive=drive, slot_minutes=60, now=now)[0]
        for name in ("Trần Thị Lan", "Lê Văn Bình"):
            slot_service.book(session=session, donor_id=make.donor(session, now, name=name), slot_id=slot.id, now=now)
    command.downgrade(_alembic_config(engine), "0033_drive_links")
    with engine.connect() as conn:
        columns = {column["name"] for column in inspect(conn).get_columns("slot_bookings")}
    assert not {"check_in_code", "checked_in_at"} & columns
    assert "drive_links" in inspect(engine).get_table_names()
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)
    with engine.connect() as conn:
        given = [row[0] for row in conn.execute(text("SELECT check_in_code FROM slot_bookings ORDER BY id"))]
    assert len(given) == 2 and len(set(given)) == 2
    assert all(re.fullmatch("[ACDEFGHJKMNPRTWXY34679]{6}", code) for code in given)


def test_the_slot_waitlist_migration_goes_down_and_up_again(engine):
    """0036 (the slot waiting list) down to 0035, then up."""
    command.downgrade(_alembic_config(engine), "0035_booking_check_in")
    assert "slot_waitlist" not in inspect(engine).get_table_names()
    assert "0035_booking_check_in" in current_revisions(engine)
    upgrade(engine)
    assert "slot_waitlist" in inspect(engine).get_table_names()
    test_migrated_schema_matches_the_models(engine)


def test_the_flagged_by_province_migration_goes_down_and_up_again(engine):
    """0037 (the flagged addresses by province) down to 0036, then up."""
    command.downgrade(_alembic_config(engine), "0036_slot_waitlist")
    with engine.connect() as conn:
        assert "ix_donors_flagged_province" not in {i["name"] for i in inspect(conn).get_indexes("donors")}
    upgrade(engine)
    with engine.connect() as conn:
        assert "ix_donors_flagged_province" in {i["name"] for i in inspect(conn).get_indexes("donors")}
    test_migrated_schema_matches_the_models(engine)


def test_the_questionnaire_migration_goes_down_and_up_again(engine):
    """0038 (the questionnaire answers) down to 0037, then up."""
    command.downgrade(_alembic_config(engine), "0037_flagged_by_province")
    assert "questionnaire_answers" not in inspect(engine).get_table_names()
    assert "0037_flagged_by_province" in current_revisions(engine)
    upgrade(engine)
    with engine.connect() as conn:
        assert "uq_questionnaire_answers_current" in {
            i["name"] for i in inspect(conn).get_indexes("questionnaire_answers")}
    test_migrated_schema_matches_the_models(engine)


def test_the_donation_uses_migration_goes_down_and_up_again(engine):
    """0040 (where a donation's unit went) down to 0038, then up."""
    command.downgrade(_alembic_config(engine), "0038_questionnaire")
    assert "donation_uses" not in inspect(engine).get_table_names()
    assert "0038_questionnaire" in current_revisions(engine)
    upgrade(engine)
    assert "donation_uses" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        unique = [c["column_names"] for c in inspect(conn).get_unique_constraints("donation_uses")]
    assert unique == [["donation_id"]]
    test_migrated_schema_matches_the_models(engine)


def test_the_standby_ranges_migration_goes_down_and_up_again(engine):
    """0042 (the standby province index ending with id) down to 0040, then up."""
    command.downgrade(_alembic_config(engine), "0040_donation_use")
    names = {i["name"] for i in inspect(engine).get_indexes("donors")}
    assert "ix_donors_standby_province_code" in names and "ix_donors_standby_province_id" not in names
    upgrade(engine)
    with engine.connect() as conn:
        found = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("donors")}
    assert found["ix_donors_standby_province_id"] == ["province_code", "abo", "rh", "id"]
    assert "ix_donors_standby_province_code" not in found
    test_migrated_schema_matches_the_models(engine)


def test_the_national_indexes_migration_goes_down_and_up_again(engine):
    """0041 (PostgreSQL only: covering area indexes for turnout) down to 0039, then up; on SQLite
    it changes nothing."""
    names = {"ix_donors_turnout_commune_code", "ix_donors_turnout_commune_key", "ix_donors_turnout_district_key"}
    expected = names if engine.dialect.name == "postgresql" else set()
    command.downgrade(_alembic_config(engine), "0039_booking_outcome")
    with engine.connect() as conn:
        assert names.isdisjoint({i["name"] for i in inspect(conn).get_indexes("donors")})
    upgrade(engine)
    with engine.connect() as conn:
        assert names & {i["name"] for i in inspect(conn).get_indexes("donors")} == expected
    test_migrated_schema_matches_the_models(engine)


def test_the_honours_index_migration_goes_down_and_up_again(engine):
    """0043 (PostgreSQL only: the covering index of honour candidates) down to 0041, then up; on
    SQLite it changes nothing."""
    expected = {"ix_donors_honours"} if engine.dialect.name == "postgresql" else set()
    command.downgrade(_alembic_config(engine), "0041_pg_national")
    with engine.connect() as conn:
        assert "ix_donors_honours" not in {i["name"] for i in inspect(conn).get_indexes("donors")}
    upgrade(engine)
    with engine.connect() as conn:
        assert {"ix_donors_honours"} & {i["name"] for i in inspect(conn).get_indexes("donors")} == expected
    test_migrated_schema_matches_the_models(engine)


def test_the_later_name_words_migration_marks_the_words_after_the_first(engine):
    """0044 down to 0043 and up: the active donors' words after the first get a marked entry
    each (cut to the column's 50 characters with the mark), a merged donor none; down removes
    exactly those."""
    long_word = "x" * 55
    config = _alembic_config(engine)
    command.downgrade(config, "0043_pg_honours")
    with engine.begin() as conn:
        for donor_id, name_folded, merged in ((901, "vu thi lan", None), (902, f"ngo {long_word}", None),
                                              (903, "ngo bao", 901), (904, "lan lan", None)):
            conn.execute(text(
                "INSERT INTO donors (id, full_name, sex, phone_sms_capable, standby, donation_count, name_folded,"
                " merged_into_id, created_at, updated_at) VALUES (:id, :name, 'unknown', false, false, 0, :name,"
                " :merged, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                {"id": donor_id, "name": name_folded, "merged": merged})
            for word in set(name_folded.split()):
                if merged is None:
                    conn.execute(text("INSERT INTO donor_name_words (word, donor_id) VALUES (:w, :d)"),
                                 {"w": word[:50], "d": donor_id})
    plain = {(901, "vu"), (901, "thi"), (901, "lan"), (902, "ngo"), (902, "x" * 50), (904, "lan")}
    upgrade(engine)
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT donor_id, word FROM donor_name_words WHERE donor_id > 900")))
    assert rows == plain | {(901, "\x1fthi"), (901, "\x1flan"), (902, "\x1f" + "x" * 49), (904, "\x1flan")}
    command.downgrade(config, "0043_pg_honours")
    with engine.connect() as conn:
        assert set(conn.execute(text("SELECT donor_id, word FROM donor_name_words WHERE donor_id > 900"))) == plain
    upgrade(engine)
    test_migrated_schema_matches_the_models(engine)
