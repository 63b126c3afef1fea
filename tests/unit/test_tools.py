"""A test needing a missing tool is skipped on a developer's machine and fails in CI."""

import pytest

from tests.support.tools import missing_tool


def test_a_missing_tool_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="pdftoppm"):
        missing_tool("pdftoppm is not installed")


def test_a_missing_tool_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must have it"):
        missing_tool("pdftoppm is not installed")
