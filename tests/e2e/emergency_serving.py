"""Run `donor-registry serve` as a real process for the emergency end-to-end tests."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

DEADLINE_S = 60  # generous: a loaded CI machine takes seconds to import the app
SMS_LINE = re.compile(r"SMS to (\+\d+) : (.*)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """One serve process on 127.0.0.1, its console SMS captured in a file."""

    def __init__(self, db_url: str, port: int, log: Path, **env: str):
        self.port, self.log = port, log
        environment = {**os.environ, "DONOR_REGISTRY_DATABASE__URL": db_url,
                       "DONOR_REGISTRY_SMS__PUBLIC_BASE_URL": self.base_url,
                       "DONOR_REGISTRY_SMS__GATEWAY": "console",
                       "DONOR_REGISTRY_EMERGENCY__JOB_EVERY_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
        for name in ("DONOR_REGISTRY_CONFIG", "DONOR_REGISTRY_NOW"):
            environment.pop(name, None)  # only what the test gives: a pinned clock is `env`'s
        environment.update(env)
        self._out = log.open("a", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "donor_registry", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment, stdout=self._out, stderr=subprocess.STDOUT, text=True,
        )
        self._wait_healthy()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited early: {self.log.read_text(encoding='utf-8')[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # polling interval, bounded by the deadline
        raise AssertionError("serve did not answer /healthz in time")

    def sms(self) -> list[tuple[str, str]]:
        """(phone, body) of every SMS the console gateway printed so far."""
        return SMS_LINE.findall(self.log.read_text(encoding="utf-8"))

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, like a power cut."""
        self.process.kill()
        self.process.wait(timeout=DEADLINE_S)
        self._out.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._out.close()


def wait_for(condition, what: str, timeout: float = DEADLINE_S):
    """Poll `condition` until it returns something truthy (bounded), and return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)  # polling interval, bounded by the deadline
    raise AssertionError(f"timed out waiting for {what}")
