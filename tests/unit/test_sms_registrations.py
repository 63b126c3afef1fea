"""Reading a ZNS message's parameters back out of the rendered SMS text, and channel choice."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from donor_registry.sms.channels import channel_for
from donor_registry.sms.esms_codes import verdict
from donor_registry.sms.registrations import template_values

pytestmark = pytest.mark.usefixtures("english")

NAMES = ["ten", "ngay", "gio", "dia_diem"]
values_text = st.text(alphabet="abcđăơ019 /ÁẾ", min_size=1, max_size=12)
literal = st.text(alphabet="-:|.,!", min_size=1, max_size=4)


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6), st.data())
def test_rendered_texts_read_back_to_their_values(order, data):
    """Placeholders (some repeated) between literals that values never contain."""
    names = list(dict.fromkeys(order))
    values = {n: data.draw(values_text, label=n) for n in names}
    parts = [data.draw(literal, label="lead")]
    for name in order:
        parts += ["{" + name + "}", data.draw(literal)]
    template = "".join(parts)
    assert template_values(template, template.format(**values)) == values


def test_a_text_that_does_not_fit_its_template_reads_as_none():
    assert template_values("Moi {ten} ngay {ngay}.", "Moi Lan ngay 1/6!") is None


CHANNELS = [  # (preference, zalo opted out, no zalo, OA configured) → channel
    ("zalo", False, False, True, "zns_sms"),
    ("zalo", True, False, True, "sms"),
    ("zalo", False, True, True, "sms"),
    ("zalo", False, False, False, "sms"),
    ("sms", False, False, True, "sms"),
    ("none", False, False, True, None),
]


def test_channel_per_donor():
    for pref, opted, gone, oa, expected in CHANNELS:
        got = channel_for(preference=pref, zalo_opted_out=opted, zalo_unavailable=gone, zalo_possible=oa)
        assert got == expected, (pref, opted, gone, oa)


def test_codes_from_the_table_map_to_actions():
    table = {"100": "accepted", "124": "accepted", "103": "balance", "160": "retry", "101": "stop",
             "104": "stop", "140": "stop", "143": "stop", "799": "stop", "99": "mark_phone",
             "108": "mark_phone", "146": "fail", "789": "fail", "790": "fail", "177": "fail",
             "201": "fail", "12345": "fail"}
    assert {code: verdict(code).action for code in table} == table


def test_templates_check_refuses_health_detail_outside_emergency_kinds():
    from donor_registry.sms.registrations import check
    from donor_registry.sms.settings import SmsSettings

    rows = {r.kind: r for r in check(SmsSettings(templates={
        "emergency_call": "Can mau {nhom_mau}: {link}", "thank_you": "Cam on {ten}, nhom {nhom_mau}"}))}
    assert rows["emergency_call"].problems == ()
    assert rows["thank_you"].problems == ("{nhom_mau} is health detail only emergency_call, emergency_filled may carry",)


def test_templates_check_refuses_health_detail_in_an_english_text_too():
    from donor_registry.sms.registrations import check
    from donor_registry.sms.settings import SmsSettings

    rows = {r.kind: r for r in check(SmsSettings(
        templates={"thank_you": "Cam on {ten}"}, templates_en={"thank_you": "Thank you {ten}, group {nhom_mau}"}))}
    assert rows["thank_you"].problems == ("{nhom_mau} is health detail only emergency_call, emergency_filled may carry",)


def test_an_english_text_does_not_read_back_as_zns_parameters_so_it_goes_as_sms():
    from donor_registry.sms.registrations import zns_params_reader
    from donor_registry.sms.settings import SmsSettings

    sms = SmsSettings(templates={"thank_you": "{to_chuc} cam on ban {ten} ngay {ngay}"},
                      esms={"zns": {"thank_you": {"template_id": "200607", "params": ["ten", "ngay"]}}})
    read = zns_params_reader(sms)
    assert read("thank_you", "Hoi CTD cam on ban Lan ngay 01/06/2026") == ("200607", ["Lan", "01/06/2026"],
                                                                         ["ten", "ngay"])
    assert read("thank_you", "Hoi CTD thanks you, Lan, for giving blood on 01/06/2026") is None
