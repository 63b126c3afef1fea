"""The hospital pages and the donor's reply page speak the visitor's language.

?lang=en|vi first, then Accept-Language (by quality), else [general] language (Vietnamese). The
words below are written by hand in both languages, so a page that still held a hard-coded
sentence, or a catalog that lost one, fails here; `<html lang>` says which language it is.
"""

import html
import re
import warnings

import pytest

from donor_registry.api import create_app
from donor_registry.config import Settings
from donor_registry.db import session_scope
from tests.service import emergency_support as make

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HOSPITAL = "Bệnh viện <Bình Dân> & Co"  # escaped on every page

# How a visitor says which language: (query, headers) -> the language the page must speak.
WAYS = {
    "default": ({}, {}, "vi"),
    "?lang=vi over Accept-Language": ({"lang": "vi"}, {"Accept-Language": "en"}, "vi"),
    "?lang=en": ({"lang": "en"}, {}, "en"),
    "Accept-Language": ({}, {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8,vi;q=0.5"}, "en"),
    "Accept-Language vi": ({}, {"Accept-Language": "vi-VN,en;q=0.5"}, "vi"),
    "unknown ?lang=": ({"lang": "fr"}, {"Accept-Language": "en"}, "en"),
}

# page -> {language: words a person reads there}, written by hand.
REPLY = {"vi": ["Cần máu gấp", "Chào bạn Lan0,", "cần gấp khối hồng cầu nhóm máu O+", "trước 10:00 ngày 02/06/2026",
                "Bạn có thể đến hiến máu không?", "Tôi sẽ đến", "Tôi không thể đến", "1 giờ 30 phút",
                "Mang theo giấy tờ tùy thân (CCCD)"],
         "en": ["Blood needed urgently", "Hello Lan0,", "urgently needs red cells of blood group O+",
                "before 10:00 on 02/06/2026", "Can you come and give blood?", "I will come", "I cannot come",
                "1 hour 30 minutes", "Bring your identity card (CCCD)"]}
SIGN_IN = {"vi": ["Đăng nhập bệnh viện", "Mã truy cập của bệnh viện", "Đăng nhập", "bắt đầu bằng hsp_"],
           "en": ["Hospital sign-in", "The hospital's access code", "Sign in", "it begins with hsp_"]}
HOME = {"vi": ["Yêu cầu máu khẩn cấp", "Trạng thái", "Đang gọi người hiến", "Đăng xuất"],
        "en": ["Emergency blood request", "Status", "Calling donors", "Sign out"]}
FORM = {"vi": ["Nhóm máu người bệnh", "Chế phẩm cần", "Khối hồng cầu", "Tiểu cầu", "Số người hiến cần",
               "để trống: trong", "Gửi yêu cầu", "Quay lại"],
        "en": ["The patient's blood group", "Product needed", "Red cells", "Platelets", "Donors needed",
               "empty: within", "Send the request", "Back"]}
STATUS = {"vi": ["Yêu cầu #1: O+, 2 người", "Đang gọi người hiến", "Khối hồng cầu · cần trước", "đợt gọi 1",
                 "Đã mời", "Sẽ đến", "Chưa trả lời", "Người hiến sẽ đến", "Chưa có ai nhận lời.", "Hủy yêu cầu",
                 "Trang tự cập nhật mỗi"],
          "en": ["Request #1: O+, 2 donors", "Calling donors", "Red cells · needed by", "call wave 1", "Invited",
                 "Coming", "No answer yet", "Donors coming", "Nobody has accepted yet.", "Cancel the request",
                 "This page updates itself every"]}


def _client(engine, settings, now):
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    return TestClient(app)


@pytest.fixture
def world(engine, settings, now):
    """A hospital whose request for two O+ donors is out, ten donors near it, the first reply link."""
    with session_scope(engine) as session:
        hospital, token = make.hospital(session, now, name=HOSPITAL)
        for i in range(10):
            make.donor(session, now, name=f"Phạm Thị Lan{i}", national_id=f"0790960000{i:02d}")
        request = make.request(session, now, settings, hospital.id, units=2)
        calls = make.messages(session, "emergency_call")
        replies = [make.reply_token(session, call) for call in calls[:2]]
    return {"client": _client(engine, settings, now), "token": token, "replies": replies, "request": request.id}


def _text(page) -> str:
    """What a person reads: no style, no tags, entities read, white space folded."""
    body = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page.text, flags=re.DOTALL)
    return " ".join(html.unescape(body).split())


def _speaks(page, language: str, words: dict[str, list[str]]):
    """The page is in `language`: its words there, none of the other language's, safe headers."""
    assert re.search(r'<html lang="([a-z]+)">', page.text).group(1) == language
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<script" not in page.text and "<Bình Dân>" not in page.text  # the hospital's name escaped
    text, other = _text(page), "en" if language == "vi" else "vi"
    assert [w for w in words[language] if w not in text] == [], text
    assert [w for w in words[other] if w in text and w not in words[language]] == [], text


def _sign_in(client, token, **params):
    return client.post("/h/login", params=params, data={"token": token}, follow_redirects=False)


@pytest.mark.parametrize("way", WAYS)
def test_the_reply_page_speaks_the_donors_language(world, way):
    query, headers, language = WAYS[way]
    page = world["client"].get(f"/r/{world['replies'][0]}", params=query, headers=headers)
    assert page.status_code == 200 and "<b>Bệnh viện &lt;Bình Dân&gt; &amp; Co</b> (Quận 3)" in page.text
    _speaks(page, language, REPLY)


@pytest.mark.parametrize(("language", "accept", "decline"), [
    ("vi", "đang chờ bạn vào khoảng 10:30 ngày 01/06/2026", "Chúng tôi đã ghi nhận bạn không thể đến lần này."),
    ("en", "expects you at about 10:30 on 01/06/2026", "We have noted that you cannot come this time."),
])
def test_the_answer_is_thanked_in_the_donors_language(world, now, language, accept, decline):
    client, (first, second) = world["client"], world["replies"]
    came = client.post(f"/r/{first}", params={"lang": language}, data={"answer": "accept", "arrive_in": "30"})
    assert came.status_code == 200 and accept in _text(came)
    assert {"vi": "Cảm ơn bạn!", "en": "Thank you!"}[language] in _text(came)
    assert f'lang="{language}"' in came.text
    away = client.post(f"/r/{second}", headers={"Accept-Language": language}, data={"answer": "decline"})
    assert away.status_code == 200 and decline in _text(away)
    used = client.get(f"/r/{first}", headers={"Accept-Language": language})
    assert used.status_code == 410
    assert {"vi": "Bạn đã trả lời rồi", "en": "You have already answered"}[language] in _text(used)
    assert client.get(f"/r/{first}", params={"lang": language}).status_code == 410


@pytest.mark.parametrize(("language", "words"), [
    ("vi", ["Liên kết không hợp lệ", "Xin kiểm tra lại tin nhắn."]),
    ("en", ["Invalid link", "Please check the message again."]),
])
def test_an_unknown_link_and_a_bad_answer_are_refused_in_the_donors_language(world, language, words):
    client = world["client"]
    unknown = client.get("/r/abcdefghijklmnopqrstuv", params={"lang": language})
    assert unknown.status_code == 404 and all(w in _text(unknown) for w in words)
    bad = client.post(f"/r/{world['replies'][0]}", params={"lang": language}, data={"answer": "maybe"})
    expected = {"vi": "Xin chọn “Tôi sẽ đến” hoặc “Tôi không thể đến”.",
                "en": "Please choose “I will come” or “I cannot come”."}[language]
    assert bad.status_code == 422 and expected in _text(bad)


@pytest.mark.parametrize("way", WAYS)
def test_the_sign_in_page_speaks_the_hospitals_language(world, way):
    query, headers, language = WAYS[way]
    page = world["client"].get("/h", params=query, headers=headers)
    assert page.status_code == 200
    _speaks(page, language, SIGN_IN)
    wrong = world["client"].post("/h/login", params=query, headers=headers, data={"token": "hsp_wrong"})
    assert wrong.status_code == 401
    assert {"vi": "Mã truy cập không đúng hoặc đã bị thu hồi.",
            "en": "The access code is wrong or has been revoked."}[language] in _text(wrong)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_hospital_pages_keep_the_asked_language_from_page_to_page(world, language):
    """?lang= rides along every link, form and redirect, so the whole visit stays in one language."""
    client = world["client"]
    signed = _sign_in(client, world["token"], lang=language)
    assert signed.status_code == 303 and signed.headers["location"] == f"/h?lang={language}"
    home = client.get(signed.headers["location"])
    _speaks(home, language, HOME)
    assert "<h1>Bệnh viện &lt;Bình Dân&gt; &amp; Co</h1>" in home.text
    assert f'href="/h/new?lang={language}"' in home.text and f'href="/h/requests/1?lang={language}"' in home.text
    assert f'action="/h/logout?lang={language}"' in home.text
    form = client.get(f"/h/new?lang={language}")
    _speaks(form, language, FORM)
    assert f'action="/h/requests?lang={language}"' in form.text
    status = client.get(f"/h/requests/{world['request']}?lang={language}")
    _speaks(status, language, STATUS)
    assert 'http-equiv="refresh"' in status.text
    assert f'action="/h/requests/{world["request"]}/cancel?lang={language}"' in status.text
    cancelled = client.post(f"/h/requests/{world['request']}/cancel?lang={language}", follow_redirects=False)
    assert cancelled.headers["location"] == f"/h/requests/{world['request']}?lang={language}"
    after = client.get(cancelled.headers["location"])
    assert {"vi": "Đã hủy", "en": "Cancelled"}[language] in _text(after) and "http-equiv" not in after.text


def test_without_lang_the_links_stay_plain_and_accept_language_decides_each_page(world):
    client = world["client"]
    signed = _sign_in(client, world["token"])
    assert signed.headers["location"] == "/h"
    home = client.get("/h", headers={"Accept-Language": "en-US,en;q=0.9"})
    _speaks(home, "en", HOME)
    assert 'href="/h/new"' in home.text
    _speaks(client.get("/h"), "vi", HOME)


@pytest.mark.parametrize(("language", "refusal"), [("vi", "Đơn vị: phải ít nhất là 1"),
                                                   ("en", "Units: must be at least 1")])
def test_a_refused_request_form_says_why_in_the_hospitals_language(world, language, refusal):
    client = world["client"]
    _sign_in(client, world["token"])
    bad = client.post("/h/requests", params={"lang": language}, data={"blood_group": "O+", "units": "0"})
    assert bad.status_code == 422 and refusal in _text(bad)
    _speaks(bad, language, FORM)
    when = client.post("/h/requests", params={"lang": language},
                       data={"blood_group": "O+", "units": "1", "needed_by": "tomorrow"})
    assert when.status_code == 422
    assert {"vi": "Thời điểm cần máu không hợp lệ.", "en": "The date and time needed are not valid."}[language] \
        in _text(when)


@pytest.mark.parametrize(("query", "headers", "language", "words"), [
    ({}, {}, "vi", ["Không tìm thấy", "Không có trang này."]),
    ({"lang": "en"}, {}, "en", ["Not found", "There is no such page."]),
    ({}, {"Accept-Language": "en"}, "en", ["Not found", "There is no such page."]),
])
def test_a_page_id_that_names_nothing_is_404_in_the_visitors_language(world, query, headers, language, words):
    client = world["client"]
    _sign_in(client, world["token"])
    for path in ["/h/requests/0", "/h/requests/99999999999999999999"]:
        page = client.get(path, params=query, headers=headers)
        assert page.status_code == 404 and f'lang="{language}"' in page.text
        assert all(w in _text(page) for w in words), _text(page)
    mine_not = client.get("/h/requests/12345", params=query, headers=headers)
    assert mine_not.status_code == 404
    assert {"vi": "Không tìm thấy yêu cầu này.", "en": "This request was not found."}[language] in _text(mine_not)


def test_the_configured_language_is_the_default(engine, db_url, now):
    settings = Settings(database={"url": db_url}, general={"language": "en"})
    client = _client(engine, settings, now)
    _speaks(client.get("/h"), "en", SIGN_IN)
    _speaks(client.get("/h", params={"lang": "vi"}), "vi", SIGN_IN)
    _speaks(client.get("/h", headers={"Accept-Language": "vi"}), "vi", SIGN_IN)


@pytest.mark.parametrize(("language", "words"), [("vi", ["Lược đồ cho máy đọc:", "bắt buộc"]),
                                                 ("en", ["Machine-readable schema:", "required"])])
def test_the_docs_page_says_its_own_words_in_the_visitors_language(world, language, words):
    page = world["client"].get("/docs", params={"lang": language})
    assert page.status_code == 200 and f'lang="{language}"' in page.text
    assert all(w in _text(page) for w in words)
    assert "/api/v1/emergency-requests" in page.text and "Authorization: Bearer hsp_…" in _text(page)


@pytest.mark.parametrize(("language", "words"), [
    ("vi", ["Biểu mẫu chưa được điền đúng", "Đơn vị: phải là số nguyên"]),
    ("en", ["The form was not filled in as expected", "Units: must be a whole number"]),
])
def test_a_form_that_does_not_parse_is_a_page_in_the_visitors_language_not_json(world, language, words):
    client = world["client"]
    _sign_in(client, world["token"])
    bad = client.post("/h/requests", params={"lang": language}, data={"blood_group": "O+", "units": "many"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    assert all(w in _text(bad) for w in words), _text(bad)
    missing = client.post(f"/r/{world['replies'][0]}", headers={"Accept-Language": language}, data={})
    assert missing.status_code == 422 and f'lang="{language}"' in missing.text
    api = client.post("/api/v1/emergency-requests", headers={"Authorization": f"Bearer {world['token']}"},
                      json={"blood_group": "O+", "units": "many"})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["body", "units"]  # JSON stays JSON


def test_every_page_offers_both_languages_by_name(world):
    client = world["client"]
    _sign_in(client, world["token"])
    home = client.get("/h", headers={"Accept-Language": "en-US"})  # a phone set to English …
    assert '<a href="/h?lang=vi" lang="vi" hreflang="vi">Tiếng Việt</a>' in home.text  # … can go back
    _speaks(client.get("/h", params={"lang": "vi"}, headers={"Accept-Language": "en-US"}), "vi", HOME)
