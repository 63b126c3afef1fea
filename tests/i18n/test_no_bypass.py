"""No word a person reads bypasses the catalogs: an AST scan of the output calls.

A string literal (or the literal parts of an f-string) passed straight to an output call
(console.print, typer.echo, print, typer.BadParameter, the project's errors, the pages'
`message` and `render` …) must go through `_()`; literal words there would be English (or
Vietnamese) whatever --lang or ?lang= says. Templates are scanned too: their words sit in
`{{ _() }}`. Markup (`[bold]`), punctuation and placeholders are not words. Modules still being converted are listed in PENDING, each with
the number of literals it still holds, so the list can only shrink.
"""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "donor_registry"
SCANNED = ["cli", "web", "i18n", "api"]
OUTPUT_CALLS = {"print", "echo", "secho", "BadParameter", "UsageError", "UserError", "NotFound", "Exit",
                "print_fields", "print_table", "message", "render"}
#: Where an output call takes its text, beyond the first positional argument: the pages'
#: `message(request, title, text)` and the words a page is rendered with.
TEXT_ARGUMENTS = {"message": (1, 2), "render": ()}
TEXT_KEYWORDS = {"title", "text", "error"}
WORD = re.compile(r"[^\W\d_]{2,}")
MARKUP = re.compile(r"\[/?[a-z ]+\]")

# module -> literals it still prints untranslated (lower these as the module is converted).
PENDING = {
}


def _words(node: ast.AST) -> bool:
    """Whether a literal argument holds words (outside markup and placeholders)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORD.search(MARKUP.sub("", node.value)))
    if isinstance(node, ast.JoinedStr):
        return any(_words(part) for part in node.values if isinstance(part, ast.Constant))
    return False


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def bare_literals(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and _name(node) in OUTPUT_CALLS:
            positions = TEXT_ARGUMENTS.get(_name(node), (0,))
            arguments = [a for i, a in enumerate(node.args) if i in positions]
            arguments += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
            if any(_words(argument) for argument in arguments):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def _modules() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (PACKAGE / folder).rglob("*.py"))


def test_output_calls_take_translated_text():
    counts, lines = {}, []
    for path in _modules():
        found = bare_literals(path)
        module = str(path.relative_to(PACKAGE.parent))
        if found:
            counts[module] = len(found)
        if len(found) > PENDING.get(module, 0):
            lines += found
    assert lines == [], "bare literals in output calls (wrap them in _()):\n" + "\n".join(lines)
    grown_smaller = {m: (n, counts.get(m, 0)) for m, n in PENDING.items() if counts.get(m, 0) < n}
    assert grown_smaller == {}, f"lower PENDING to what is left: {grown_smaller}"


def test_the_scan_finds_a_bare_literal(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('console.print("saved")\nconsole.print(_("saved"))\nconsole.print(f"[bold]{x}[/bold]")\n'
                      'typer.echo(f"wrote {n} rows")\nmessage(http, "Not found", _("gone"))\n'
                      'message(http, _("Not found"), f"no page {n}")\nrender(http, "page.html", error="wrong")\n'
                      'render(http, "page.html", error=_("wrong"))\n')
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path
    try:
        assert bare_literals(sample) == [f"{tmp_path.name}/sample.py:{n}" for n in (1, 4, 5, 6, 7)]
    finally:
        PACKAGE = saved


#: Words a template may hold as they are: names, not sentences.
NAMES = {"API"}
_TEMPLATE_NOISE = [re.compile(r"<style>.*?</style>", re.DOTALL),
                   re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)]
_READ_ATTRIBUTES = re.compile(r"""\b(?:title|placeholder|alt|aria-label)=["']([^"']*)["']""")


def template_words(text: str) -> list[str]:
    """Words a template shows outside `{{ _() }}`: text between tags, and attributes a person reads."""
    for noise in _TEMPLATE_NOISE:
        text = noise.sub(" ", text)
    shown = " ".join(_READ_ATTRIBUTES.findall(text)) + " " + re.sub(r"<[^>]*>", " ", text)
    shown = re.sub(r"&[a-z]+;|(?<![\w])/[\w./-]+", " ", shown)  # entities, paths
    return [word for word in WORD.findall(shown) if word not in NAMES]


def test_templates_take_their_words_from_the_catalogs():
    found = {str(path.relative_to(PACKAGE.parent)): words
             for path in sorted(PACKAGE.glob("*/templates/**/*.html")) if (words := template_words(path.read_text()))}
    assert found == {}, "bare words in templates (wrap them in {{ _() }}):\n" + str(found)


def test_the_template_scan_finds_bare_words():
    sample = ('<h1>{{ _("Saved") }}</h1><p>Đã lưu</p><style>body{margin:0}</style><a href="/h">/openapi.json</a>'
              '<input placeholder="Search">{% if x %}{{ name }}{% endif %}')
    assert template_words(sample) == ["Search", "Đã", "lưu"]
