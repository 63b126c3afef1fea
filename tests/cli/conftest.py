"""Run the real CLI in-process on a temporary SQLite database with a pinned clock."""

import json
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from donor_registry.cli import app


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


def _cli_runner(url: str, monkeypatch, tmp_path):
    monkeypatch.setenv("DONOR_REGISTRY_DATABASE__URL", url)
    monkeypatch.setenv("DONOR_REGISTRY_NOW", "2026-06-01T03:00:00+00:00")
    monkeypatch.delenv("DONOR_REGISTRY_CONFIG", raising=False)
    # These tests check behaviour (one plain line, exit codes, what is stored) on the English
    # msgids; tests/cli/test_languages_cli.py runs commands in both languages and checks the words.
    monkeypatch.setenv("DONOR_REGISTRY_LANG", "en")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> CliResult:
        result = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=True)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def cli(sqlite_url, monkeypatch, tmp_path):
    """cli('donors', 'add', ...) -> CliResult; fails the test on an unexpected exception."""
    return _cli_runner(sqlite_url, monkeypatch, tmp_path)


@pytest.fixture
def cli_both(db_url, monkeypatch, tmp_path):
    """The same as `cli`, on each database (SQLite and PostgreSQL)."""
    return _cli_runner(db_url, monkeypatch, tmp_path)
