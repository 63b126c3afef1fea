"""Every command, given bad input, answers with one plain line and never a traceback.

The commands and their parameters come from the typer app itself, so a command added later is
covered without touching this file. Each parameter in turn gets values of the wrong kind for
its type (paths that are folders, missing, or under a file; numbers out of range; impossible
dates; NUL and very long text), the others a plausible value. On SQLite and PostgreSQL.
"""

import enum
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from donor_registry.cli import app
from donor_registry.errors import UserError
from tests.cli.test_help import _commands

# Commands that run until stopped: given only ways to run once, or left out (serve binds a port).
RUN_ONCE = {("sms", "dispatch"): ["--once"], ("emergency", "waves"): ["--once"]}
LEFT_OUT = {("serve",)}
DATE_WORDS = ("date", "born", "on", "since", "until", "as_of", "start", "end", "needed_by")
BAD_NUMBERS = ["-1", "99999999999999999999"]
BAD_FLOATS = ["nan", "-1e308"]
BAD_DATES = ["31/02/2026", "2026-13-40", "0000-01-01"]
BAD_TEXT = ["\x00", "x" * 5000, ""]


def _annotation(param):
    return param.type_descriptor.annotation


def _is_date(param) -> bool:
    return _annotation(param) is str and (param.name in DATE_WORDS or param.name.endswith(DATE_WORDS))


def _bad_values(param, paths: dict[str, Path]) -> list[str]:
    kind = _annotation(param)
    if kind is bool:
        return []
    if kind is int:
        return BAD_NUMBERS
    if kind is float:
        return BAD_FLOATS
    if kind is Path:
        return [str(paths["folder"]), str(paths["missing"]), str(paths["under_a_file"])]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return ["bogus"]
    return BAD_DATES if _is_date(param) else BAD_TEXT


def _good_value(param, paths: dict[str, Path]) -> str:
    kind = _annotation(param)
    if kind is Path:
        return str(paths["list"] if param.param_type_name == "argument" else paths["out"])
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return str(next(iter(kind)).value)
    if kind in (int, float):
        return "1"
    if _is_date(param):
        return "2026-05-01"
    return {"group": "O+", "word": "1"}.get(param.name, "1")


def _call(path, command, param, value, paths) -> list[str]:
    """The command line with `value` for `param` and a plausible value for every other required one."""
    arguments, options = [], []
    for other in command.params:
        if other.param_type_name == "argument":
            arguments.append(value if other is param else _good_value(other, paths))
        elif other is param:
            options += [other.opts[0], value]
        elif other.required:
            options += [other.opts[0], _good_value(other, paths)]
    return [*path, *arguments, *options, *RUN_ONCE.get(path, [])]


def _invocations(paths):
    for path, command in _commands(get_command(app)):
        if path in LEFT_OUT:
            continue
        for param in command.params:
            if param.name == "help":
                continue
            for value in _bad_values(param, paths):
                yield path, _call(path, command, param, value, paths)


@pytest.fixture
def paths(tmp_path) -> dict[str, Path]:
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("x\n")
    listing = tmp_path / "ds.csv"
    listing.write_text("Họ và tên,Ngày hiến\nAn,01/03/2026\n", encoding="utf-8")
    (tmp_path / "folder.xlsx").mkdir()
    return {"folder": tmp_path / "folder.xlsx", "missing": tmp_path / "missing" / "none.xlsx",
            "under_a_file": a_file / "out.xlsx", "list": listing, "out": tmp_path / "out.xlsx"}


def _plain(result) -> str | None:
    """What is wrong with the output of a command that failed, or None."""
    output = result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"raised {result.exception!r}"
    if "Traceback" in output:
        return "printed a traceback"
    if result.exit_code == 0:
        return None
    lines = result.stderr.strip().splitlines()
    if result.exit_code not in (1, 2) or len(lines) != 1 or not lines[0].startswith("error: "):
        return f"exit {result.exit_code}, stderr {result.stderr!r}"
    return None


def test_every_command_answers_bad_input_with_one_plain_line(db_url, monkeypatch, tmp_path, paths):
    monkeypatch.setenv("DONOR_REGISTRY_DATABASE__URL", db_url)
    monkeypatch.setenv("DONOR_REGISTRY_NOW", "2026-06-01T03:00:00+00:00")
    monkeypatch.delenv("DONOR_REGISTRY_CONFIG", raising=False)
    monkeypatch.setenv("DONOR_REGISTRY_LANG", "en")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    # Something for the ids to find: a donor (#1), a campaign, a drive, a hospital, a ceremony.
    for setup in (["donors", "add", "An", "--birth-year", "1990", "--group", "O+"],
                  ["campaigns", "add", "Hè", "--start", "2026-06-01", "--end", "2026-06-30"],
                  ["drives", "add", "--date", "2026-06-10", "--venue", "Nhà văn hoá", "--campaign", "1"],
                  ["hospitals", "add", "Bệnh viện", "--district", "Đông Hoà"],
                  ["honours", "ceremony", "create", "1", "--date", "2026-06-14", "--level", "commune"]):
        assert runner.invoke(app, setup).exit_code == 0, setup
    problems, count = [], 0
    for path, args in _invocations(paths):
        count += 1
        problem = _plain(runner.invoke(app, args, catch_exceptions=True))
        if problem:
            problems.append(f"{' '.join(a if len(a) < 40 else a[:10] + '…' for a in args)!r}: {problem}")
    assert count > 300  # every command was tried
    assert problems == []


def test_a_usage_error_is_one_line_naming_the_option_and_the_help(cli):
    result = cli("donors", "list", "--eligible-on", "31/02/2026")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [(
        "error: Invalid value: '31/02/2026' is not a date; write 2026-04-07 or 07/04/2026 "
        "(see: donor-registry donors list --help)")]


def test_a_control_character_on_the_command_line_is_refused_before_anything_is_stored(cli):
    result = cli("donors", "add", "Nguyễn\x00Văn An", "--birth-year", "1990")
    assert (result.exit_code, result.stderr.strip()) == (2, (
        "error: the value 'Nguyễn?Văn An' holds a control character (NUL) at character 7, which cannot be stored"))
    assert cli("donors", "list", "--json").json()["donors"] == []


def test_a_folder_given_for_an_output_file_is_one_line(cli, tmp_path):
    ceremony = cli("honours", "ceremony", "create", "T", "--date", "2026-06-14", "--level", "commune", "--json")
    result = cli("honours", "export", ceremony.json()["id"], "--out", tmp_path)
    assert result.exit_code == 2 and "does not end in .xlsx, .csv or .pdf" in result.stderr
    folder = tmp_path / "list.xlsx"
    folder.mkdir()
    result = cli("honours", "export", ceremony.json()["id"], "--out", folder)
    assert (result.exit_code, result.stderr.strip()) == (1, f"error: {folder}: is a folder, not a file")


def test_debug_still_shows_the_traceback(cli, tmp_path):
    with pytest.raises(UserError, match="file not found"):
        cli("--debug", "import", "donors", tmp_path / "none.csv")
