"""Both catalogs hold every string the code and templates use, none fuzzy, none empty.

The template is extracted afresh from the tree (the same `pybabel extract` that scripts/i18n
runs), so a string added without a translation fails here, not in front of a coordinator.
"""

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "donor_registry" / "locale"
KEYWORDS = ["_", "N_", "pgettext:1c,2", "NP_:1c,2", "pgettext_noop:1c,2", "gettext", "gettext_noop"]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@cache
def _template(tmp: Path) -> dict:
    out = tmp / "messages.pot"
    command = [sys.executable, "-c", "from babel.messages.frontend import main; main()", "-q", "extract", "-F", "babel.cfg",
               *(f"-k{k}" for k in KEYWORDS), "-o", str(out), "."]
    subprocess.run(command, cwd=ROOT, check=True)
    with out.open("rb") as handle:
        return {(m.context, m.id): m for m in read_po(handle) if m.id}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return _template(tmp_path_factory.mktemp("pot"))


def _catalog(language: str) -> dict:
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {(m.context, m.id): m for m in read_po(handle) if m.id}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_string_is_translated_and_none_is_fuzzy(template, language):
    catalog = _catalog(language)
    missing = sorted(str(key) for key in template if key not in catalog or not catalog[key].string)
    fuzzy = sorted(str(key) for key, message in catalog.items() if message.fuzzy)
    assert missing == [] and fuzzy == [], f"{language}: missing {missing[:20]}, fuzzy {fuzzy[:20]}"


def test_english_repeats_the_msgids():
    wrong = [key for key, message in _catalog("en").items() if message.string != message.id]
    assert wrong == []


def test_vietnamese_keeps_every_placeholder():
    """A translation that drops or renames {name} would fail with KeyError when shown."""
    broken = [(key, message.string) for key, message in _catalog("vi").items()
              if sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string))]
    assert broken == []


def test_the_template_holds_the_cli_docstrings(template):
    """Typer shows a command's docstring as its help: the extractor must carry it."""
    assert (None, "Register a new donor. A national ID already in the registry is refused, naming its holder.") in template
    assert ("sex", "female") in template  # enum labels, with their context
