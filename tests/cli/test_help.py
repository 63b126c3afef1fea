"""Every command and option explains itself, and every command appears in the README."""

from pathlib import Path

from typer.main import get_command

from donor_registry.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_command_and_option_has_help():
    missing = []
    for path, command in _commands(get_command(app)):
        if not (command.help or "").strip():
            missing.append(" ".join(path))
        for param in command.params:
            if param.param_type_name == "option" and not (getattr(param, "help", "") or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def test_every_command_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    absent = [" ".join(path) for path, _ in _commands(get_command(app)) if " ".join(path) not in text]
    assert absent == []


def test_help_runs_for_every_group(cli):
    for path, _ in _commands(get_command(app)):
        result = cli(*path, "--help")
        assert result.exit_code == 0 and "Usage" in result.stdout, path


def test_version(cli):
    assert cli("--version").stdout.startswith("donor-registry ")

