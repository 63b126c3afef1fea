"""Schemathesis against /openapi.json, in process: no 5xx, and every answer as the schema says.

Bounded and repeatable: a fixed number of examples per operation and mode, derandomized, so a
run sends the same requests every time (544 per database, a few seconds each).
"""

import datetime as dt
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from donor_registry.api import create_app
from donor_registry.config import Settings
from donor_registry.db import session_scope
from tests.service import emergency_support as make

EXAMPLES = 60  # per operation and generation mode
GROUPS = ["O+", "O-", "A+", "A-", "B+", "B-", "AB+", "AB-"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


class CountingApp:
    """The ASGI app, counting the status of every response it gives."""

    def __init__(self, app):
        self.app, self.statuses = app, Counter()

    async def __call__(self, scope, receive, send):
        async def counted(event):
            if event["type"] == "http.response.start":
                self.statuses[event["status"]] += 1
            await send(event)

        await self.app(scope, receive, counted)


@pytest.fixture
def api(engine, db_url, now):
    config = Settings(database={"url": db_url}, emergency={"max_requests_per_hour": 200, "max_open_requests": 40})
    with session_scope(engine) as session:
        _, token = make.hospital(session, now)
        for group in ("O+", "A+", "B-", "AB+"):
            make.donor(session, now, group)
        make.request(session, now, config, 1)
    app = create_app(config, engine)
    clock = iter(now + dt.timedelta(seconds=i) for i in range(10**6))
    app.state.clock = lambda: next(clock)
    return CountingApp(app), token


def test_the_api_never_answers_5xx_and_always_as_its_schema_says(api):
    app, token = api
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers)
    _fuzz_real_groups(schema.get("/api/v1/emergency-requests")["POST"], headers)
    print(f"schemathesis: {sum(app.statuses.values())} requests, statuses {dict(sorted(app.statuses.items()))}")
    assert sum(app.statuses.values()) > len(operations) * EXAMPLES / 2
    assert not [status for status in app.statuses if status >= 500]


def _fuzz(operation, mode, headers):
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        assert mode == GenerationMode.NEGATIVE  # nothing to get wrong (GET /healthz takes no input)


def _fuzz_real_groups(operation, headers):
    """Schema-valid bodies with a real blood group, so filing itself runs (waves, quotas)."""
    cases = st.tuples(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), st.sampled_from(GROUPS))

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case_and_group=cases)
    def run(case_and_group):
        case, group = case_and_group
        case.body = {**case.body, "blood_group": group}
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
