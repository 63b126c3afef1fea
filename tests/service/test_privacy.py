"""Consent per purpose, erasure, a donor's own data, the processing records: on both databases."""

import datetime as dt

import pytest
from sqlmodel import select

from donor_registry import reports
from donor_registry.audit.models import AuditEntry
from donor_registry.config import Settings
from donor_registry.donations.models import DonationCreate
from donor_registry.donations.service import record_donation
from donor_registry.donors import duplicates, service
from donor_registry.donors.models import Donor, DonorCreate, DonorUpdate
from donor_registry.donors.settings import DuplicateSettings
from donor_registry.emergency.models import CallOut
from donor_registry.errors import UserError
from donor_registry.i18n import use_language
from donor_registry.privacy import consents, erasure, processing, subject_data
from donor_registry.privacy.models import DonorConsent, Purpose
from donor_registry.sms.audience import contactable_clause
from donor_registry.sms.models import InboundMessage, OutboxMessage, OutboxStatus
from donor_registry.sms.outbox import enqueue
from donor_registry.types import ConsentChannel
from tests.service import emergency_support as support

pytestmark = pytest.mark.usefixtures("english")  # matches the English msgids

ACTOR = "cli:tester"


def add(session, now, name="Nguyễn Thị Hoà", **extra) -> Donor:
    values = {"full_name": name, "date_of_birth": dt.date(1990, 3, 15), "phone_e164": "0912345678",
              "national_id": "001190012345", "address": "12 Lý Thường Kiệt", "commune": "Tân Lập",
              "district": "Đan Phượng", "province": "Hà Nội", "consent_channel": ConsentChannel.paper,
              "notes": "gọi sau 17h", "weight_kg": 52, **extra}
    return service.create_donor(session=session, data=DonorCreate(**values), now=now, actor=ACTOR)


def grants(session, donor_id):
    return [(g.purpose, g.channel, g.withdrawn_at is not None)
            for g in session.exec(select(DonorConsent).where(DonorConsent.donor_id == donor_id)
                                  .order_by(DonorConsent.id))]


def contactable(session, donor_id) -> bool:
    return session.exec(select(Donor.id).where(Donor.id == donor_id, contactable_clause())).first() is not None


def test_registration_consent_is_the_contact_sms_purpose_and_health_data_is_asked_apart(session, now):
    donor = add(session, now)
    assert grants(session, donor.id) == [(Purpose.contact_sms, ConsentChannel.paper, False)]
    state = consents.current(session=session, donor_id=donor.id)
    assert state["contact_sms"]["state"] == "given" and state["health_data"]["state"] == "not asked"

    later = now + dt.timedelta(days=1)
    consents.give(session=session, donor=donor, purpose=Purpose.health_data, channel=ConsentChannel.web,
                  now=later, actor=ACTOR)
    consents.withdraw(session=session, donor=donor, purpose=Purpose.health_data, now=later, actor=ACTOR)
    state = consents.current(session=session, donor_id=donor.id)
    assert state["health_data"] == {"state": "withdrawn", "given_at": later, "channel": "web", "withdrawn_at": later}
    # Withdrawing health data leaves SMS contact as it was.
    assert state["contact_sms"]["state"] == "given" and contactable(session, donor.id)


def test_withdrawing_sms_contact_stops_messages_and_a_new_grant_keeps_the_history(session, now):
    donor = add(session, now)
    service.withdraw_consent(session=session, donor_id=donor.id, now=now, actor=ACTOR)
    assert donor.consent_withdrawn_at == now and not contactable(session, donor.id)
    service.record_consent(session=session, donor_id=donor.id, channel=ConsentChannel.verbal, now=now, actor=ACTOR)
    assert contactable(session, donor.id)
    assert grants(session, donor.id) == [(Purpose.contact_sms, ConsentChannel.paper, True),
                                         (Purpose.contact_sms, ConsentChannel.verbal, False)]
    actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["consent.withdraw", "consent.give"]


def _history(session, now, donor_id, rules):
    for day, cert in ((dt.date(2025, 3, 1), "HN-1"), (dt.date(2025, 9, 1), "HN-2")):
        record_donation(session=session, donor_id=donor_id, rules=rules, now=now,
                        data=DonationCreate(donated_on=day, volume_ml=350, certificate_no=cert))


def test_erasure_removes_identity_and_keeps_de_identified_donations(session, now, rules):
    donor = add(session, now)
    other = add(session, now, name="Trần Văn Bình", phone_e164="0987654321", national_id="001190054321")
    _history(session, now, donor.id, rules)
    consents.give(session=session, donor=donor, purpose=Purpose.health_data, channel=ConsentChannel.paper,
                  now=now, actor=ACTOR)
    queued = enqueue(session=session, now=now, donor_id=donor.id, to=donor.phone_e164, kind="reminder",
                     body="Nguyễn Thị Hoà ơi, mai hiến máu", idempotency_key="k1")
    session.add(InboundMessage(from_phone=donor.phone_e164, body="CO", donor_id=donor.id, action="stored",
                               received_at=now, created_at=now))
    session.flush()
    before = reports.annual_report(session=session, year=2025)

    scrubbed = erasure.erase_donor(session=session, donor_id=donor.id, now=now, actor=ACTOR)

    assert scrubbed["outbox_messages"] == 1 and scrubbed["inbound_messages"] == 1
    assert (donor.full_name, donor.phone_e164, donor.national_id, donor.date_of_birth, donor.address,
            donor.commune, donor.notes, donor.abo, donor.weight_kg) == ("[erased]", *[None] * 8)
    assert (donor.birth_year, donor.district, donor.donation_count, donor.erased_at) == (1990, "Đan Phượng", 2, now)
    assert service.find_donors(session=session, query="hoa") == []
    assert service.find_donors(session=session, query="0912345678") == []
    assert [d.id for d in service.find_donors(session=session, query="binh")] == [other.id]
    message = session.get(OutboxMessage, queued.id)
    assert (message.body, message.to_phone, message.status) == ("[erased]", "[erased]", OutboxStatus.cancelled)
    assert all(withdrawn for _, _, withdrawn in grants(session, donor.id))
    assert not contactable(session, donor.id)
    assert reports.annual_report(session=session, year=2025) == before
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "donor.erase")).one()
    assert (entry.actor, entry.subject_id) == (ACTOR, donor.id)


def test_an_erased_donor_is_not_changed_merged_consented_or_erased_again(session, now):
    donor = add(session, now)
    other = add(session, now, name="Trần Văn Bình", phone_e164="0987654321", national_id="001190054321")
    erasure.erase_donor(session=session, donor_id=donor.id, now=now, actor=ACTOR)
    with pytest.raises(UserError, match="was erased"):
        service.update_donor(session=session, donor_id=donor.id, changes=DonorUpdate(phone="0912345678"), now=now)
    with pytest.raises(UserError, match="was erased"):
        duplicates.merge_donors(session=session, keep_id=other.id, duplicate_id=donor.id, rules=None, now=now,
                                command="test")
    with pytest.raises(UserError, match="was erased"):
        service.record_consent(session=session, donor_id=donor.id, channel=ConsentChannel.paper, now=now)
    with pytest.raises(UserError, match="already erased"):
        erasure.erase_donor(session=session, donor_id=donor.id, now=now, actor=ACTOR)


def test_erasure_also_erases_the_merged_duplicates_of_the_same_person(session, now, rules):
    kept = add(session, now)
    dup = add(session, now, name="Nguyễn T. Hoà", national_id=None)
    duplicates.merge_donors(session=session, keep_id=kept.id, duplicate_id=dup.id, rules=rules, now=now,
                            command="test")
    scrubbed = erasure.erase_donor(session=session, donor_id=kept.id, now=now, actor=ACTOR)
    assert scrubbed["merged_duplicates"] == 1 and scrubbed["merge_snapshots"] == 1
    session.refresh(dup)
    assert (dup.full_name, dup.phone_e164, dup.erased_at) == ("[erased]", None, now)


def test_a_donor_called_by_an_open_emergency_request_is_not_erased(session, now):
    settings = Settings()
    donor_id = support.donor(session, now, "O+")
    hospital, _ = support.hospital(session, now)
    request = support.request(session, now, settings, hospital.id, "O+")
    assert support.asked(session, request.id) == [donor_id]
    with pytest.raises(UserError, match=rf"donor #{donor_id} is being called for open emergency request "
                                        rf"#{request.id}: close or cancel that request first"):
        erasure.erase_donor(session=session, donor_id=donor_id, now=now, actor=ACTOR)
    assert session.get(Donor, donor_id).erased_at is None


def test_subject_data_holds_everything_about_the_donor_and_no_token(session, now, rules):
    donor = add(session, now)
    add(session, now, name="Trần Văn Bình", phone_e164="0987654321", national_id="001190054321")
    _history(session, now, donor.id, rules)
    enqueue(session=session, now=now, donor_id=donor.id, to=donor.phone_e164, kind="reminder", body="Mai hiến máu",
            idempotency_key="k1")
    session.flush()
    data = subject_data.collect(session=session, donor_id=donor.id)
    assert data["donor"]["phone_e164"] == "+84912345678" and data["donor"]["national_id"] == "001190012345"
    assert [d["certificate_no"] for d in data["donations"]] == ["HN-1", "HN-2"]
    assert [m["body"] for m in data["sms_sent"]] == ["Mai hiến máu"]
    assert [c["purpose"] for c in data["consents"]] == ["contact_sms"]
    assert "Trần Văn Bình" not in str(data) and "idempotency_key" not in str(data)


def test_subject_data_leaves_out_reply_token_hashes(session, now):
    settings = Settings()
    donor_id = support.donor(session, now, "O+")
    hospital, _ = support.hospital(session, now)
    support.request(session, now, settings, hospital.id, "O+")
    token_hash = session.exec(select(CallOut.reply_token_hash)).one()
    data = subject_data.collect(session=session, donor_id=donor_id)
    assert len(data["emergency_calls"]) == 1 and token_hash not in str(data)


def test_processing_report_counts_and_names_the_gateway_abroad(session, now):
    donors = [add(session, now, name=f"Lê Văn {n}", phone_e164=f"09123456{n:02d}", national_id=None)
              for n in range(3)]
    consents.give(session=session, donor=donors[0], purpose=Purpose.health_data, channel=ConsentChannel.paper,
                  now=now, actor=ACTOR)
    service.withdraw_consent(session=session, donor_id=donors[1].id, now=now, actor=ACTOR)
    erasure.erase_donor(session=session, donor_id=donors[2].id, now=now, actor=ACTOR)
    settings = Settings(sms={"gateway": "twilio"}, privacy={"processors": [
        {"name": "Viettel IDC", "service": "hosting", "country": "Vietnam"}]})
    records = processing.processing_report(session=session, settings=settings, now=now)
    assert records["counts"]["consents"] == {
        "contact_sms": {"given": 3, "in_force": 1, "withdrawn": 2},  # one withdrawn, one by the erasure
        "health_data": {"given": 1, "in_force": 1, "withdrawn": 0},
    }
    assert (records["counts"]["donors"], records["counts"]["erasures"]) == (2, 1)
    assert [(p["name"], p["outside_vietnam"]) for p in records["processors"]] == [
        ("Twilio Inc.", True), ("Viettel IDC", False)]
    assert records["cross_border_transfer"] is True and records["draft"] is True
    with use_language("vi"):  # the text a chapter files is Vietnamese
        text = "\n".join(processing.text_lines(records))
    assert "NGOÀI VIỆT NAM" in text and settings.privacy.donation_retention in text
    assert "Twilio Inc., cổng SMS (số điện thoại, nội dung tin nhắn), Hoa Kỳ" in text
    assert "  đồng ý liên hệ qua SMS: 3 đã cho, 1 còn hiệu lực, 2 đã rút lại" in text
    assert f"Lập lúc {now + dt.timedelta(hours=7):%d/%m/%Y %H:%M} (giờ Việt Nam)" in text
    with use_language("en"):
        text = "\n".join(processing.text_lines(records))
    assert "OUTSIDE VIETNAM" in text and "Twilio Inc., SMS gateway (phone numbers, message texts), United States" in text
    assert "  consent to contact by SMS: 3 given, 1 in force, 2 withdrawn" in text


def test_console_gateway_has_no_processor_and_no_transfer(session, now):
    records = processing.processing_report(session=session, settings=Settings(), now=now)
    assert records["processors"] == [] and records["cross_border_transfer"] is False


def test_duplicate_reasons_mask_the_shared_phone(session, now):
    add(session, now)
    add(session, now, name="Trần Văn Bình", national_id=None)
    pairs = duplicates.find_duplicates(session=session, settings=DuplicateSettings())
    assert [p.reasons for p in pairs] == [["same phone +84 91x xxx 678"]]
