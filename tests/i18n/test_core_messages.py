"""The registry's own reasons read in the reader's language: eligibility, recording checks, import
refusals and file errors, checked against hand-written sentences in Vietnamese and English."""

import datetime as dt

import pytest

from donor_registry.eligibility import DonorFacts, EligibilityRules, PastDonation, check
from donor_registry.errors import UserError
from donor_registry.i18n import use_language
from donor_registry.importing.headers import map_headers
from donor_registry.importing.values import sex
from donor_registry.recording import NewDonation, recording_check
from donor_registry.types import DonationType, Sex
from tests.service.test_import import write_csv
from tests.service.test_import_trust import HEADERS, add_donor, run

RULES = EligibilityRules()
PLATELETS, WHOLE = DonationType.platelet_apheresis, DonationType.whole_blood

SENTENCES = {  # language -> what a coordinator reads (hand-written)
    "vi": {
        "interval": "lần hiến máu toàn phần gần nhất ngày 01/09/2026; lần tới từ 24/11/2026",
        "same day": "đã ghi một lần hiến gạn tách tiểu cầu ngày 01/06/2026; được phép từ 15/06/2026",
        "sex": "'đàn bà' không phải giới tính; hãy ghi Nam hoặc Nữ",
        "column": "tệp không có cột 'Họ và tên' (các cột có: Tên, Năm sinh)",
        "conflict": "CCCD 036… thuộc về người hiến #{id} Trần Thị Thúy (nữ, A+, 1990); dòng này ghi "
                    "Trần Văn Bê (nam, B+) (khác nhau: họ tên, giới tính, nhóm máu)",
    },
    "en": {
        "interval": "last whole blood donation on 01/09/2026; next from 24/11/2026",
        "same day": "a platelet apheresis donation is already recorded on 01/06/2026; allowed from 15/06/2026",
        "sex": "'đàn bà' is not a sex; write Nam or Nữ",
        "column": "the file has no 'Họ và tên' column (found: Tên, Năm sinh)",
        "conflict": "CCCD 036… belongs to donor #{id} Trần Thị Thúy (female, A+, 1990); this row says "
                    "Trần Văn Bê (male, B+) (name, sex, blood group differ)",
    },
}


def _facts(*donations: PastDonation) -> DonorFacts:
    return DonorFacts(date_of_birth=None, birth_year=1990, sex=Sex.female, weight_kg=55, donations=donations)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_rules_speak_the_readers_language(language):
    expected = SENTENCES[language]
    with use_language(language):
        waiting = check(_facts(PastDonation(dt.date(2026, 9, 1), WHOLE)), WHOLE, dt.date(2026, 10, 1), RULES)
        assert waiting.reasons[0].message == expected["interval"]
        twice = recording_check(_facts(PastDonation(dt.date(2026, 6, 1), PLATELETS)),
                                NewDonation(dt.date(2026, 6, 1), PLATELETS), RULES)
        assert twice.text() == expected["same day"]
        with pytest.raises(ValueError) as refused:
            sex("đàn bà")
        assert str(refused.value) == expected["sex"]
        with pytest.raises(UserError) as missing:
            map_headers(["Tên", "Năm sinh"], kind="donors")
        assert str(missing.value) == expected["column"]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_import_refusal_names_both_people_in_the_readers_language(session, now, rules, tmp_path, language):
    thuy = add_donor(session, now, "Trần Thị Thúy", national_id="036190000123", sex=Sex.female, abo="A", rh="+",
                     birth_year=1990)
    path = write_csv(tmp_path / "d.csv", [["Trần Văn Bê", "", "Nam", "B+", "", "036190000123", "", "01/03/2026"]],
                     headers=HEADERS)
    with use_language(language):
        report = run(session, path, now, rules, skip_invalid=True)
    assert [error.reason for error in report.rejected] == [SENTENCES[language]["conflict"].format(id=thuy.id)]
