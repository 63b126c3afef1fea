"""A donor who chose English on their record page gets their texts in English (where an English
text is registered), every other donor in Vietnamese; on both engines."""


import pytest
from sqlmodel import select

from donor_registry.config import Settings
from donor_registry.portal.models import DonorAvailability
from donor_registry.sms.models import OutboxMessage
from donor_registry.sms.reminders import plan_reminders
from donor_registry.sms.settings import DEFAULT_TEMPLATES
from donor_registry.sms.templates import render
from tests.service import emergency_support as emergency
from tests.service.test_drive_links import make_drive
from tests.support.sms import make_donor

SETTINGS = Settings(sms={"weekly_cap_per_donor": 5})


def _chooses(session, now, donor_id: int, language: str | None) -> None:
    session.add(DonorAvailability(donor_id=donor_id, language=language, updated_at=now))
    session.flush()


def _bodies(session, kind: str) -> dict[int, str]:
    return {m.donor_id: m.body for m in session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind))}


def test_an_invitation_goes_in_the_language_each_donor_chose(session, now):
    english = make_donor(session, now, 1)
    vietnamese = make_donor(session, now, 2)
    unset = make_donor(session, now, 3)  # a row for availability only, no language chosen
    _chooses(session, now, english.id, "en")
    _chooses(session, now, vietnamese.id, "vi")
    _chooses(session, now, unset.id, None)
    make_drive(session, now, days_ahead=4)
    assert plan_reminders(session=session, settings=SETTINGS, now=now).planned["invitation"] == 3
    bodies = _bodies(session, "invitation")
    assert bodies[english.id] == ("Hoi Chu thap do invites you, So1, to give blood on 05/06/2026 at 07:30, "
                                  "Nha van hoa phuong. Thank you! To stop these texts reply TU CHOI")
    assert bodies[vietnamese.id] == ("Hoi Chu thap do moi ban So2 hien mau ngay 05/06/2026 luc 07:30 tai "
                                     "Nha van hoa phuong. Cam on ban! Khong nhan tin: soan TU CHOI")
    assert bodies[unset.id].startswith("Hoi Chu thap do moi ban So3 hien mau")


def test_a_kind_without_an_english_text_goes_in_vietnamese(session, now):
    donor = make_donor(session, now, 1)
    _chooses(session, now, donor.id, "en")
    make_drive(session, now, days_ahead=4)
    only_vietnamese = Settings(sms={"templates": DEFAULT_TEMPLATES, "templates_en": {}})
    plan_reminders(session=session, settings=only_vietnamese, now=now)
    assert _bodies(session, "invitation")[donor.id].startswith("Hoi Chu thap do moi ban So1 hien mau")


def test_an_emergency_call_goes_in_the_donors_language(session, now, settings):
    english = emergency.donor(session, now, name="Lê Thị Hoa")
    vietnamese = emergency.donor(session, now, name="Trần Văn Bình")
    _chooses(session, now, english, "en")
    hospital, _token = emergency.hospital(session, now)
    emergency.request(session, now, settings, hospital.id, units=2)
    bodies = {m.donor_id: m.body for m in emergency.messages(session, "emergency_call")}
    assert bodies[english].startswith("Hoi Chu thap do URGENTLY needs blood group O+ for Benh vien Binh Dan. "
                                      "Hoa, can you give? Answer: ")
    assert bodies[vietnamese].startswith("Hoi Chu thap do CAN GAP mau nhom O+ cho Benh vien Binh Dan. Ban Binh")


@pytest.mark.parametrize(("language", "expected"), [
    ("vi", "Hoi CTD: da du mau nhom O- cho BV Cho Ray. Cam on ban Lan!"),
    ("en", "Hoi CTD: there is enough blood group O- for BV Cho Ray now. Thank you, Lan!"),
    ("fr", "Hoi CTD: da du mau nhom O- cho BV Cho Ray. Cam on ban Lan!"),  # no French text: Vietnamese
])
def test_render_picks_the_registered_text_of_the_language(language, expected):
    fields = {"to_chuc": "Hội CTĐ", "nhom_mau": "O-", "benh_vien": "BV Chợ Rẫy", "ten": "Lan"}
    assert render("emergency_filled", Settings(), language, **fields) == expected
