"""Who may use which route: one hand-written table for every route of the HTTP app.

The table must name every route the app serves (a new route fails here until it is placed), and
each kind of access is tried without its credential, with another hospital's, and with its own.
"""

import warnings

import pytest

from donor_registry.api import create_app
from donor_registry.db import session_scope
from tests.service import emergency_support as make

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PUBLIC = "anyone"
HOSPITAL = "a hospital's bearer token"
OWN_REQUEST = "the bearer token of the hospital that filed the request"
HOSPITAL_PAGE = "a hospital signed in to /h (token cookie)"
OWN_REQUEST_PAGE = "signed in to /h as the hospital that filed the request"
TWILIO = "X-Twilio-Signature over the request"
REPLY_TOKEN = "a donor's reply-link token"
RECORD_LINK = "a donor's record-link token (from a message or a code sent to the donor's phone)"
DRIVE_LINK = "a donor's personal drive-link token (from an invitation), for that donor and drive only"
ESMS_CALLBACK = "the secret $ESMS_CALLBACK_TOKEN in the path, with the esms gateway"
# The coordinators' workspace (donor_registry/web): a session cookie and the policy's roles.
SIGNED_IN = "a signed-in user of any role"
ADMIN = "an admin, for accounts of its chapter and below"
SETTINGS_ADMIN = "an admin, for the settings of its chapter and below"
DRIVE_PLANNER = "a coordinator or admin, for drives of its chapter and below"
DONOR_WORK = "a coordinator or an admin, for donors of its chapter and below"
HONOURER = "a coordinator or admin, for ceremonies of its chapter and below"
IMPORTER = "a coordinator or an admin, for the imports of its chapter and below"
SMS_SENDER = "a coordinator or admin, for messages to donors of its chapter and below"
RESPONDER = "a coordinator or admin, for requests of hospitals of its chapter and below"

ACCESS = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/h"): PUBLIC,  # the sign-in form; a hospital's list only with its cookie
    ("POST", "/h/login"): PUBLIC,
    ("POST", "/h/logout"): PUBLIC,
    ("POST", "/sms/status"): TWILIO,
    ("POST", "/sms/inbound"): TWILIO,
    ("GET", "/sms/esms/status/{token}/{outbox_id}"): ESMS_CALLBACK,
    ("POST", "/api/v1/emergency-requests"): HOSPITAL,
    ("GET", "/api/v1/emergency-requests"): HOSPITAL,
    ("GET", "/api/v1/emergency-requests/{request_id}"): OWN_REQUEST,
    ("POST", "/api/v1/emergency-requests/{request_id}/cancel"): OWN_REQUEST,
    ("POST", "/api/v1/emergency-requests/{request_id}/used"): OWN_REQUEST,  # donations given for that request only
    ("GET", "/h/new"): HOSPITAL_PAGE,
    ("POST", "/h/requests"): HOSPITAL_PAGE,
    ("GET", "/h/requests/{request_id}"): OWN_REQUEST_PAGE,
    ("POST", "/h/requests/{request_id}/cancel"): OWN_REQUEST_PAGE,
    ("POST", "/h/requests/{request_id}/used"): OWN_REQUEST_PAGE,  # donations given for that request only
    ("GET", "/r/{token}"): REPLY_TOKEN,
    ("POST", "/r/{token}"): REPLY_TOKEN,
    ("GET", "/me"): PUBLIC,  # the phone form; the same answer whether or not the phone is registered
    ("POST", "/me"): PUBLIC,  # rate-limited per phone and per address
    ("POST", "/me/code"): PUBLIC,  # a wrong code opens nothing; tries are limited
    ("GET", "/me/{token}"): RECORD_LINK,
    ("POST", "/me/{token}/availability"): RECORD_LINK,
    ("POST", "/me/{token}/language"): RECORD_LINK,
    ("POST", "/me/{token}/withdraw"): RECORD_LINK,
    ("GET", "/b/{token}"): DRIVE_LINK,
    ("POST", "/b/{token}/book"): DRIVE_LINK,
    ("POST", "/b/{token}/move"): DRIVE_LINK,
    ("POST", "/b/{token}/cancel"): DRIVE_LINK,
    ("POST", "/b/{token}/wait"): DRIVE_LINK,
    ("POST", "/b/{token}/unwait"): DRIVE_LINK,
    ("POST", "/b/{token}/record"): DRIVE_LINK,
    ("GET", "/b/{token}/questionnaire"): DRIVE_LINK,
    ("POST", "/b/{token}/questionnaire"): DRIVE_LINK,
    ("GET", "/"): PUBLIC,  # the sign-in form; the dashboard with a session
    ("POST", "/login"): PUBLIC,
    ("GET", "/static/workspace.css"): PUBLIC,
    ("GET", "/static/htmx.min.js"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/account/password"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("GET", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}/disable"): ADMIN,
    ("POST", "/admin/users/{user_id}/enable"): ADMIN,
    ("POST", "/admin/users/{user_id}/password"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/admin/settings"): SETTINGS_ADMIN,
    ("POST", "/admin/settings"): SETTINGS_ADMIN,
    ("GET", "/donors/{donor_id}"): SIGNED_IN,  # of a donor within the user's chapter and below
    ("GET", "/drives"): SIGNED_IN,  # the month calendar of the user's chapter and below
    ("GET", "/drives/new"): DRIVE_PLANNER,
    ("GET", "/campaigns/new"): DRIVE_PLANNER,
    ("POST", "/campaigns"): DRIVE_PLANNER,
    ("GET", "/campaigns/{campaign_id}"): SIGNED_IN,  # of the user's chapter and below, or registry-wide
    ("POST", "/campaigns/{campaign_id}/cancel"): DRIVE_PLANNER,
    ("POST", "/drives"): DRIVE_PLANNER,
    ("GET", "/drives/{drive_id}"): SIGNED_IN,  # of a drive within the user's chapter and below
    ("POST", "/drives/{drive_id}/edit"): DRIVE_PLANNER,
    ("POST", "/drives/{drive_id}/reschedule"): DRIVE_PLANNER,
    ("POST", "/drives/{drive_id}/cancel"): DRIVE_PLANNER,
    ("POST", "/drives/{drive_id}/close"): DRIVE_PLANNER,
    ("POST", "/drives/{drive_id}/check-in"): DRIVE_PLANNER,  # a booking of that drive, by its code
    ("POST", "/drives/{drive_id}/release"): DRIVE_PLANNER,  # that drive's units, to a hospital
    ("POST", "/drives/{drive_id}/slots/{slot_id}/capacity"): DRIVE_PLANNER,  # a slot of that drive
    ("POST", "/drives/{drive_id}/slots"): DRIVE_PLANNER,
    # a checked-in booking of that drive, of a donor whose records the user may write (donors.write)
    ("POST", "/drives/{drive_id}/bookings/{booking_id}/outcome"): DRIVE_PLANNER,
    ("GET", "/drives/{drive_id}/call-list.xlsx"): SIGNED_IN,  # phones masked for a viewer
    ("GET", "/drives/{drive_id}/sign-in-sheet"): SIGNED_IN,  # phones masked for a viewer
    ("GET", "/donors"): SIGNED_IN,  # the search finds only donors of the user's chapter and below
    ("POST", "/donors/{donor_id}/donations"): DONOR_WORK,
    ("POST", "/donors/{donor_id}/record-link"): SMS_SENDER,
    ("POST", "/donors/{donor_id}/consents"): DONOR_WORK,
    ("GET", "/addresses"): SIGNED_IN,  # the flagged addresses of donors of the user's chapter and below
    ("POST", "/addresses/{donor_id}/pick"): DONOR_WORK,
    ("GET", "/donors/new"): DONOR_WORK,
    ("POST", "/donors/new"): DONOR_WORK,
    ("GET", "/donors/{donor_id}/edit"): DONOR_WORK,
    ("POST", "/donors/{donor_id}/edit"): DONOR_WORK,
    ("GET", "/donors/duplicates"): DONOR_WORK,
    ("POST", "/donors/duplicates/merge"): DONOR_WORK,
    ("GET", "/honours"): SIGNED_IN,  # candidates of the user's chapter and below (never a phone or ID)
    ("GET", "/honours/candidates.xlsx"): SIGNED_IN,
    ("GET", "/honours/candidates.pdf"): SIGNED_IN,
    ("GET", "/honours/ceremonies"): SIGNED_IN,
    ("POST", "/honours/ceremonies"): HONOURER,
    ("GET", "/honours/ceremonies/{ceremony_id}"): SIGNED_IN,  # of a ceremony within the user's chapter and below
    ("POST", "/honours/ceremonies/{ceremony_id}/award"): HONOURER,
    ("POST", "/honours/ceremonies/{ceremony_id}/revoke"): HONOURER,
    ("GET", "/honours/ceremonies/{ceremony_id}/list.xlsx"): SIGNED_IN,
    ("GET", "/honours/ceremonies/{ceremony_id}/list.pdf"): SIGNED_IN,
    ("GET", "/imports"): IMPORTER,  # the upload form and the import history
    ("POST", "/imports"): IMPORTER,
    ("GET", "/imports/{token}"): IMPORTER,  # a run of the user's chapter and below
    ("POST", "/imports/{token}/confirm"): IMPORTER,
    ("POST", "/imports/{token}/cancel"): IMPORTER,
    ("GET", "/sms"): SIGNED_IN,  # messages to donors of the user's chapter and below, phones masked
    ("GET", "/sms/templates"): SIGNED_IN,
    ("POST", "/sms/templates/preview"): SIGNED_IN,  # writes and sends nothing
    ("POST", "/sms/{message_id}/retry"): SMS_SENDER,
    ("POST", "/sms/{message_id}/cancel"): SMS_SENDER,
    ("POST", "/sms/reminders"): SMS_SENDER,  # reminders and invitations of donors of its chapter and below
    ("GET", "/emergency"): SIGNED_IN,  # open requests of hospitals of the user's chapter and below
    ("GET", "/emergency/new"): RESPONDER,
    ("POST", "/emergency"): RESPONDER,  # a request taken by phone
    ("GET", "/emergency/{request_id}"): SIGNED_IN,  # phones masked for a viewer
    ("POST", "/emergency/{request_id}/answer"): RESPONDER,
    ("POST", "/emergency/{request_id}/arrived"): RESPONDER,
}
#: Which roles each kind of workspace access lets in (hand-written, not read from the policy).
ROLES_OF = {SIGNED_IN: {"admin", "coordinator", "viewer"}, ADMIN: {"admin"}, SETTINGS_ADMIN: {"admin"},
            DRIVE_PLANNER: {"admin", "coordinator"}, DONOR_WORK: {"admin", "coordinator"},
            HONOURER: {"admin", "coordinator"}, IMPORTER: {"admin", "coordinator"},
            SMS_SENDER: {"admin", "coordinator"}, RESPONDER: {"admin", "coordinator"}}


def _served_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        for sub in getattr(getattr(route, "original_router", None), "routes", [route]):
            for method in getattr(sub, "methods", None) or ():
                if method != "HEAD":
                    found.add((method, sub.path))
    return found


@pytest.fixture
def world(engine, settings, now):
    with session_scope(engine) as session:
        _, first_token = make.hospital(session, now)
        _, second_token = make.hospital(session, now, name="Bệnh viện Chợ Rẫy")
        make.donor(session, now, name="Phạm Thị Lan", national_id="079096000001")
    app = create_app(settings, engine)
    app.state.clock = lambda: now
    client = TestClient(app, follow_redirects=False)
    filed = client.post("/api/v1/emergency-requests", headers=_bearer(first_token),
                        json={"blood_group": "O+", "units": 1})
    assert filed.status_code == 201, filed.text
    return {"app": app, "client": client, "own": first_token, "other": second_token,
            "request_id": filed.json()["id"]}


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _call(client, method: str, path: str, request_id: int, **kwargs):
    url = path.replace("{request_id}", str(request_id)).replace("{token}", "not-a-token").replace("{outbox_id}", "1")
    if method == "POST" and "data" not in kwargs:
        kwargs["data"] = {"blood_group": "O+", "units": "1"} if path == "/h/requests" else {}
    return client.request(method, url, **kwargs)


def test_the_table_names_every_route_the_app_serves(world):
    assert _served_routes(world["app"]) == set(ACCESS)


@pytest.mark.parametrize("route", [r for r, who in ACCESS.items() if who in (HOSPITAL, OWN_REQUEST)])
def test_the_api_refuses_a_caller_without_a_token(world, route):
    method, path = route
    assert _call(world["client"], method, path, world["request_id"]).status_code == 401


@pytest.mark.parametrize("route", [r for r, who in ACCESS.items() if who == OWN_REQUEST])
def test_another_hospital_never_sees_or_cancels_a_request(world, route):
    method, path = route
    response = _call(world["client"], method, path, world["request_id"], headers=_bearer(world["other"]))
    assert response.status_code == 404
    own = _call(world["client"], "GET", "/api/v1/emergency-requests/{request_id}", world["request_id"],
                headers=_bearer(world["own"]))
    assert own.status_code == 200 and own.json()["status"] == "open"  # still open: nothing changed


def test_a_hospital_lists_only_its_own_requests(world):
    client = world["client"]
    assert [r["id"] for r in client.get("/api/v1/emergency-requests", headers=_bearer(world["own"])).json()] \
        == [world["request_id"]]
    assert client.get("/api/v1/emergency-requests", headers=_bearer(world["other"])).json() == []


@pytest.mark.parametrize("route", [r for r, who in ACCESS.items() if who in (HOSPITAL_PAGE, OWN_REQUEST_PAGE)])
def test_hospital_pages_send_a_visitor_who_is_not_signed_in_to_the_sign_in_form(world, route):
    method, path = route
    response = _call(world["client"], method, path, world["request_id"])
    assert response.status_code in (303, 401)
    if response.status_code == 303:
        assert response.headers["location"] == "/h"


@pytest.mark.parametrize("route", [r for r, who in ACCESS.items() if who == OWN_REQUEST_PAGE])
def test_a_signed_in_hospital_cannot_open_another_hospitals_request_page(world, route):
    client = world["client"]
    assert client.post("/h/login", data={"token": world["other"]}).status_code == 303
    method, path = route
    assert _call(client, method, path, world["request_id"]).status_code == 404


@pytest.mark.parametrize("route", [r for r, who in ACCESS.items() if who == TWILIO])
def test_webhooks_refuse_an_unsigned_request(world, route):
    method, path = route
    assert _call(world["client"], method, path, world["request_id"]).status_code == 403


@pytest.mark.parametrize("route", [r for r, who in ACCESS.items() if who == REPLY_TOKEN])
def test_reply_pages_refuse_an_unknown_token(world, route):
    method, path = route
    assert _call(world["client"], method, path, world["request_id"], data={"answer": "accept"}).status_code == 404


@pytest.mark.parametrize("route", [r for r, who in ACCESS.items() if who == RECORD_LINK])
def test_record_pages_refuse_an_unknown_token(world, route):
    method, path = route
    data = {"lang": "vi", "what": "messages"}
    assert _call(world["client"], method, path, world["request_id"], data=data).status_code == 410


@pytest.mark.parametrize("route", [r for r, who in ACCESS.items() if who == DRIVE_LINK])
def test_drive_pages_refuse_an_unknown_token(world, route):
    method, path = route
    assert _call(world["client"], method, path, world["request_id"], data={"slot_id": "1"}).status_code == 404


@pytest.mark.parametrize("route", [r for r, who in ACCESS.items() if who == ESMS_CALLBACK])
def test_esms_callbacks_refuse_a_wrong_path_token(world, route, monkeypatch):
    monkeypatch.setenv("ESMS_CALLBACK_TOKEN", "s" * 32)
    method, path = route
    assert _call(world["client"], method, path, world["request_id"]).status_code == 404
