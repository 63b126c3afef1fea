"""`donor-registry serve` as real processes: health, one scheduler per database, clean SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from donor_registry.db import make_engine, upgrade

DEADLINE_S = 60  # generous: a loaded CI machine takes seconds to import the app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(db_url: str, port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "DONOR_REGISTRY_DATABASE__URL": db_url}
    env.pop("DONOR_REGISTRY_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "donor_registry", "serve", "--port", str(port), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_healthy(process: subprocess.Popen, port: int) -> dict:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited early ({process.returncode}): {process.stderr.read()}")
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # polling interval, bounded by the deadline
    pytest.fail("serve did not answer /healthz in time")


def _stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=DEADLINE_S)
    return process.returncode, stderr


def _one_scheduler_per_database(db_url: str) -> None:
    first_port = _free_port()
    first = _serve(db_url, first_port)
    try:
        health = _wait_healthy(first, first_port)
        assert health["database"] == "ok"
        assert health["scheduler"]["state"] == "running"

        http_only_port = _free_port()
        http_only = _serve(db_url, http_only_port, "--no-scheduler")
        second = _serve(db_url, _free_port())
        _, stderr = second.communicate(timeout=DEADLINE_S)
        assert second.returncode == 1
        assert "already running the scheduler for this database" in stderr
        assert "--no-scheduler" in stderr
        assert _wait_healthy(http_only, http_only_port)["scheduler"]["state"].startswith("disabled")
        assert _stop(http_only)[0] == 0
    finally:
        code, stderr = _stop(first)
    assert code == 0, stderr
    assert "đã dừng" in stderr  # Vietnamese by default

    # The lock went with the first process: a new one may run the scheduler.
    again_port = _free_port()
    again = _serve(db_url, again_port)
    assert _wait_healthy(again, again_port)["scheduler"]["state"] == "running"
    assert _stop(again)[0] == 0


@pytest.mark.slow
def test_serve_on_sqlite(tmp_path: Path):
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    _one_scheduler_per_database(db_url)
    assert (tmp_path / "registry.db.scheduler.lock").exists()


@pytest.mark.slow
def test_serve_on_postgresql(postgres_url):
    _one_scheduler_per_database(postgres_url)


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path):
    process = _serve(f"sqlite:///{tmp_path / 'empty.db'}", _free_port())
    _, stderr = process.communicate(timeout=DEADLINE_S)
    assert process.returncode == 1 and "db upgrade" in stderr


def test_the_access_log_hides_reply_tokens(tmp_path: Path):
    db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    port = _free_port()
    process = _serve(db_url, port, "--no-scheduler")
    token = "Zq8_unknown-token-1234"
    try:
        _wait_healthy(process, port)
        assert httpx.get(f"http://127.0.0.1:{port}/r/{token}", timeout=5).status_code == 404
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=DEADLINE_S)
    assert process.returncode == 0, stderr
    assert token not in stdout + stderr
    assert '"GET /r/… HTTP/1.1" 404' in stdout  # uvicorn's access log
