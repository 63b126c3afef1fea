"""sms templates check, sms channel, sms stats --cost / --by-channel, preview with cost."""

import datetime as dt

from donor_registry.config import Settings
from donor_registry.db import make_engine, session_scope
from donor_registry.privacy.processing import processing_report
from donor_registry.sms.models import OutboxStatus
from donor_registry.sms.outbox import enqueue
from tests.support.sms import make_donor

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)


def _esms(monkeypatch, *, oa="4097311281936189049"):
    monkeypatch.setenv("DONOR_REGISTRY_SMS__GATEWAY", "esms")
    monkeypatch.setenv("DONOR_REGISTRY_SMS__ESMS__OA_ID", oa)
    monkeypatch.setenv("DONOR_REGISTRY_SMS__ESMS__ZNS",
                       '{"thank_you": {"template_id": "200607", "params": ["ten", "ngay"]}}')


def test_templates_check_names_kinds_without_a_zns_registration(cli, monkeypatch):
    _esms(monkeypatch)
    checked = cli("sms", "templates", "check", "--json")
    assert checked.exit_code == 1 and "invitation" in checked.stderr and "thank_you" not in checked.stderr
    rows = {r["kind"]: r for r in checked.json()}
    assert rows["thank_you"]["problems"] == [] and rows["thank_you"]["zns_template_id"] == "200607"
    assert rows["invitation"]["problems"] == ["no ZNS template in [sms.esms.zns] (goes as SMS only)"]
    assert cli("sms", "templates", "check").exit_code == 1


def test_preview_shows_the_channel_and_the_cost_in_dong(cli, monkeypatch):
    monkeypatch.setenv("DONOR_REGISTRY_SMS__PRICES__SMS_SEGMENT_VND", "800")
    monkeypatch.setenv("DONOR_REGISTRY_SMS__PRICES__ZNS_VND", "250")
    shown = cli("sms", "preview", "invitation", "--json").json()
    assert (shown["channel"], shown["segments"], shown["cost_vnd_each"]) == ("sms", 1, 800)
    _esms(monkeypatch)
    zns = cli("sms", "preview", "thank_you", "--json").json()
    assert (zns["channel"], zns["cost_vnd_each"]) == ("zns_sms", 250)
    assert "250" in cli("sms", "preview", "thank_you").stdout


def test_channel_preference_and_monthly_cost_by_province(cli, sqlite_url):
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        hcm = make_donor(session, NOW, 1)
        hanoi = make_donor(session, NOW, 2, province_key="ha noi")
        sent = [  # (donor, channel, đồng, sent at)
            (hcm, "zns", 300, NOW), (hcm, "sms", 750, NOW), (hanoi, "sms", 1500, NOW),
            (hanoi, "sms", 750, dt.datetime(2026, 5, 31, 18, 0, tzinfo=dt.UTC)),  # 1 June in Hà Nội
            (hanoi, "sms", 750, dt.datetime(2026, 5, 31, 16, 0, tzinfo=dt.UTC)),  # 31 May
        ]
        for n, (donor, channel, price, at) in enumerate(sent):
            row = enqueue(session=session, now=NOW, donor_id=donor.id, to=donor.phone_e164,
                          kind="thank_you", body=f"Cam on {n}", idempotency_key=f"k{n}")
            row.status, row.channel, row.price_vnd, row.sent_at = OutboxStatus.delivered, channel, price, at
            session.add(row)
    rows = cli("sms", "stats", "--cost", "--json").json()
    assert rows == [
        {"month": "2026-05", "province": "ha noi", "channel": "sms", "messages": 1, "cost_vnd": 750},
        {"month": "2026-06", "province": "ha noi", "channel": "sms", "messages": 2, "cost_vnd": 2250},
        {"month": "2026-06", "province": "tp ho chi minh", "channel": "sms", "messages": 1, "cost_vnd": 750},
        {"month": "2026-06", "province": "tp ho chi minh", "channel": "zns", "messages": 1, "cost_vnd": 300},
    ]
    assert cli("sms", "stats", "--by-channel", "--json").json() == {"sms": {"delivered": 4}, "zns": {"delivered": 1}}
    assert "2,250" in cli("sms", "stats", "--cost").stdout
    assert cli("sms", "channel", "1", "sms", "--json").json()["channel"] == "sms"
    assert cli("sms", "channel", "2", "zalo", "--zalo-opt-out", "--json").json()["zalo_opted_out"] is True
    refused = cli("sms", "channel", "1", "fax")
    assert refused.exit_code == 1 and "zalo, sms, none" in refused.stderr
    assert "no donor with id 9" in cli("sms", "channel", "9", "sms").stderr


def test_privacy_report_lists_esms_and_zalo_in_vietnam(session, now):
    settings = Settings(sms={"gateway": "esms", "esms": {"oa_id": "123"}})
    report = processing_report(session=session, settings=settings, now=now)
    assert [(p["name"], p["outside_vietnam"]) for p in report["processors"]] == [
        ("eSMS.vn (ViHAT Group)", False), ("Zalo (VNG Corporation)", False)]
    assert report["cross_border_transfer"] is False


def test_poll_status_is_for_esms_only(cli):
    refused = cli("sms", "poll-status")
    assert refused.exit_code == 1 and "esms" in refused.stderr
