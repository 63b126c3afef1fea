"""SMS: plan and enqueue 100,000 reminders; dispatch to local fakes of Twilio and eSMS.vn,
unlimited and at 10/s, in the same run.

1. Planning: 100,000 contactable donors in 20 communes, one drive in each 3 days ahead;
   reminders.plan_reminders (select, render, INSERT … ON CONFLICT DO NOTHING) against one
   set-based INSERT … SELECT in bare sqlite3 (same rows, a fixed text). Target < 10 s.
2. Dispatch with the rate limit off: the real twilio client against FakeTwilio (in its own
   process, checking every request against Twilio's OpenAPI spec), against a bare loop of
   gateway.send with no database. Target ≥ 200 messages/s.
3. Dispatch at rate_per_second = 10 over ≥ 10 s: the measured rate must be within 5%.
Steps 2 and 3 run for Twilio and for eSMS (brand-name SMS with RequestId, FakeEsms checking
each request against the published pages).
"""

import datetime as dt
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, select

from donor_registry.config import Settings
from donor_registry.db import make_engine, session_scope, upgrade
from donor_registry.sms.dispatcher import Dispatcher
from donor_registry.sms.esms_gateway import EsmsGateway, request_id_for
from donor_registry.sms.gateway import TwilioGateway
from donor_registry.sms.models import OutboxMessage
from donor_registry.sms.outbox import enqueue_many
from donor_registry.sms.reminders import plan_reminders

DONORS, COMMUNES = 100_000, 20
NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)
STAMP = "2026-01-01 00:00:00.000000"
SID, TOKEN, SENDER = "AC" + "0123456789abcdef" * 2, "bench-token", "HIENMAU"
DISPATCH_MESSAGES, RATE, RATE_MESSAGES = 3000, 10.0, 111
ESMS_KEY, ESMS_SECRET = "bench-api-key", "bench-secret-key"
FAKE = """
import json, sys
sys.path.insert(0, {root!r})
if {provider!r} == "twilio":
    from tests.fakes.twilio_server import FakeTwilio
    fake = FakeTwilio({sid!r}, {token!r}).start()
else:
    from tests.fakes.esms_server import FakeEsms
    fake = FakeEsms({key!r}, {secret!r}, send_callbacks=False).start()
print(fake.base_url, flush=True)
sys.stdin.read()
print(json.dumps({{"messages": len(fake.messages), "violations": len(fake.violations),
                  "duplicates": len(fake.duplicates())}}), flush=True)
"""


def build_registry(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute(f"""
        WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {DONORS})
        INSERT INTO donors (id, full_name, name_folded, sex, phone_e164, phone_sms_capable, standby,
                            commune, commune_key, district, district_key, birth_year, consent_at,
                            donation_count, created_at, updated_at)
        SELECT x, 'Nguyễn Thị Người Hiến ' || x, 'nguyen thi nguoi hien ' || x, 'female',
               '+8491' || printf('%07d', x), 1, 0, 'Xã ' || (x % {COMMUNES}), 'xa ' || (x % {COMMUNES}),
               'Huyện 1', 'huyen 1', 1990, '{STAMP}', 0, '{STAMP}', '{STAMP}'
        FROM seq""")
    for c in range(COMMUNES):
        conn.execute(
            "INSERT INTO drives (date, start_time, end_time, venue, venue_key, commune, commune_key,"
            " district, district_key, status, sequence, created_at, updated_at) VALUES"
            " ('2026-06-04', '07:30:00.000000', '11:30:00.000000', ?, ?, ?, ?, 'Huyện 1', 'huyen 1',"
            " 'planned', 0, ?, ?)",
            (f"Nhà văn hóa xã {c}", f"nha van hoa xa {c}", f"Xã {c}", f"xa {c}", STAMP, STAMP))
    conn.execute("COMMIT")
    conn.close()


def bench_planning(tmp: Path) -> list[tuple]:
    base = tmp / "plan.db"
    build_registry(base)
    settings = Settings(sms={"weekly_cap_per_donor": 5})
    engine = make_engine(f"sqlite:///{base}")
    start = time.perf_counter()
    with session_scope(engine) as session:
        report = plan_reminders(session=session, settings=settings, now=NOW)
    ours = time.perf_counter() - start
    assert report.planned["invitation"] == DONORS, report
    start = time.perf_counter()
    with session_scope(engine) as session:
        again = plan_reminders(session=session, settings=settings, now=NOW)
    replan = time.perf_counter() - start
    assert sum(again.planned.values()) == 0
    engine.dispose()

    conn = sqlite3.connect(base, isolation_level=None)
    conn.execute("DELETE FROM sms_outbox")
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute(f"""
        INSERT INTO sms_outbox (donor_id, to_phone, kind, body, idempotency_key, send_after, urgent,
                                status, attempts, next_attempt_at, created_at, updated_at)
        SELECT d.id, d.phone_e164, 'invitation', 'Moi ban hien mau ngay 04/06/2026',
               'invitation:drive:' || v.id || ':donor:' || d.id, '{STAMP}', 0, 'queued', 0,
               '{STAMP}', '{STAMP}', '{STAMP}'
        FROM donors d JOIN drives v ON v.commune_key = d.commune_key
        ON CONFLICT (idempotency_key) DO NOTHING""")
    conn.execute("COMMIT")
    raw = time.perf_counter() - start
    conn.close()
    return [
        ("plan + enqueue 100,000 invitations (plan_reminders)", f"{ours:.2f} s",
         f"{DONORS / ours:,.0f} msg/s", "< 10 s", "yes" if ours < 10 else "NO"),
        ("plan again (idempotent: 0 new)", f"{replan:.2f} s", "", "", ""),
        ("baseline: one raw INSERT … SELECT (sqlite3)", f"{raw:.2f} s",
         f"{DONORS / raw:,.0f} msg/s", "", f"ratio {ours / raw:.1f}×"),
    ]


def start_fake(provider: str) -> tuple[subprocess.Popen, str]:
    root = str(Path(__file__).resolve().parents[2])
    code = FAKE.format(root=root, sid=SID, token=TOKEN, key=ESMS_KEY, secret=ESMS_SECRET,
                       provider=provider)
    proc = subprocess.Popen([sys.executable, "-c", code],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def stop_fake(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate("", timeout=30)
    return json.loads(out.strip().splitlines()[-1])


def outbox_engine(path: Path, count: int, label: str):
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_scope(engine) as session:
        enqueue_many(session=session, now=NOW, kind="invitation", rows=(
            (None, f"+8491{n:07d}", f"Moi ban hien mau, {label} {n}", f"{label}:{n}")
            for n in range(count)))
    return engine


def make_gateway(provider: str, base_url: str):
    if provider == "twilio":
        return TwilioGateway(SID, TOKEN, from_=SENDER, base_url=base_url)
    return EsmsGateway(ESMS_KEY, ESMS_SECRET, brandname=SENDER, base_url=base_url)


def dispatcher(provider: str, engine, base_url, rate: float, stamps: list[float]) -> Dispatcher:
    settings = Settings(sms={"gateway": provider, "sender": SENDER, "rate_per_second": rate,
                             "quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}).sms
    gateway = make_gateway(provider, base_url)
    send = gateway.send

    def timed_send(**kwargs):
        stamps.append(time.monotonic())
        return send(**kwargs)

    gateway.send = timed_send
    return Dispatcher(engine=engine, settings=settings, gateway=gateway, clock=lambda: NOW)


def bench_dispatch(tmp: Path, provider: str) -> list[tuple]:
    proc, base_url = start_fake(provider)
    try:
        engine = outbox_engine(tmp / f"dispatch-{provider}.db", DISPATCH_MESSAGES, "unlimited")
        stamps: list[float] = []
        start = time.perf_counter()
        report = dispatcher(provider, engine, base_url, 0, stamps).run_once()
        ours = DISPATCH_MESSAGES / (time.perf_counter() - start)
        assert report.sent == DISPATCH_MESSAGES, report

        gateway = make_gateway(provider, base_url)
        extra = (lambda n: {"request_id": request_id_for(f"bare:{n}")}) if provider == "esms" else (lambda n: {})
        start = time.perf_counter()
        for n in range(1000):
            gateway.send(to=f"+8492{n:07d}", body=f"baseline {n}", **extra(n))
        bare = 1000 / (time.perf_counter() - start)

        engine = outbox_engine(tmp / f"rate-{provider}.db", RATE_MESSAGES, "rate")
        stamps = []
        dispatcher(provider, engine, base_url, RATE, stamps).run_once()
        window = stamps[-1] - stamps[0]
        measured = (len(stamps) - 1) / window
        with Session(engine) as session:
            assert len(session.exec(select(OutboxMessage)).all()) == RATE_MESSAGES
    finally:
        fake = stop_fake(proc)
    assert fake["violations"] == 0 and fake["duplicates"] == 0, fake
    off = abs(measured - RATE) / RATE
    name = {"twilio": "Twilio", "esms": "eSMS"}[provider]
    return [
        (f"{name}: dispatch {DISPATCH_MESSAGES:,} (rate limit off, 4 senders)", "", f"{ours:,.0f} msg/s",
         "≥ 200 msg/s", "yes" if ours >= 200 else "NO"),
        (f"{name}: baseline, bare gateway.send loop, no database", "", f"{bare:,.0f} msg/s", "", ""),
        (f"{name}: dispatch at 10/s ({RATE_MESSAGES} messages over {window:.1f} s)", "",
         f"{measured:.3f} msg/s", "10 ± 5%", f"{off:.1%} off" + ("" if off <= 0.05 else " NO")),
        (f"{name} fake: request violations / duplicates", "", f"{fake['violations']} / {fake['duplicates']}",
         "0 / 0", ""),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = bench_planning(Path(tmp))
        for provider in ("twilio", "esms"):
            rows += bench_dispatch(Path(tmp), provider)
    print("| measurement | time | throughput | target | met |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.0f} MB (SQLite, 2-core machine)")


if __name__ == "__main__":
    main()
