"""Tests that need a tool the machine may lack: skipped on a developer's machine, failed in CI.

CI (CI=true) installs every tool the suite uses (scripts/setup --dev), so a missing one there is
a broken set-up to fix, never a test quietly not run.
"""

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def missing_tool(reason: str):
    """Skip the test (or fail it, in CI) because a tool it needs is missing."""
    if in_ci():
        pytest.fail(f"{reason} (CI must have it: run ./scripts/setup --dev as root)")
    pytest.skip(reason)
