"""No word a person reads bypasses the catalogs: an AST scan of the output calls.

A string literal (or the literal parts of an f-string) passed straight to an output call
(console.print, typer.echo, print, typer.BadParameter, the project's errors, the pages'
`message` and `render` …) must go through `_()`; literal words there would be English (or
Vietnamese) whatever --lang or ?lang= says. The file writers of the exports (a spreadsheet row,
a CSV row, a PDF cell, a sheet's title) are output calls too, with every argument looked at,
lists and tuples of cells included. Templates are scanned too: their words sit in `{{ _() }}`.
Markup (`[bold]`), punctuation and placeholders are not words. Modules still being converted
are listed in PENDING, each with the number of literals it still holds, so the list can only
shrink.
"""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "donor_registry"
# Folders and single modules under donor_registry.
SCANNED = ["cli", "web", "i18n", "api", "honours", "campaigns", "privacy", "reports.py", "report_files.py",
           "spreadsheets.py"]
OUTPUT_CALLS = {"print", "echo", "secho", "BadParameter", "UsageError", "UserError", "NotFound", "Exit",
                "print_fields", "print_table", "message", "render"}
#: Where an output call takes its text, beyond the first positional argument: the pages'
#: `message(request, title, text)` and the words a page is rendered with.
TEXT_ARGUMENTS = {"message": (1, 2), "render": ()}
TEXT_KEYWORDS = {"title", "text", "error"}
# Writers of exported files: every argument is read (a row is a list of cells; a PDF cell's text
# comes after its size), and so is the `title=` of a sheet or a table.
WRITER_CALLS = {"append_row", "writerow", "writerows", "append", "cell", "multi_cell", "row", "create_sheet",
                "Table", "add_column"}
WORD = re.compile(r"[^\W\d_]{2,}")
MARKUP = re.compile(r"\[/?[a-z ]+\]")

# module -> literals it still prints untranslated (lower these as the module is converted).
PENDING = {
    # The services' own errors (issue 13, the messages below the CLI).
    "donor_registry/campaigns/drives.py": 12,
    "donor_registry/campaigns/service.py": 6,
    "donor_registry/honours/service.py": 6,
    "donor_registry/privacy/consents.py": 1,
    "donor_registry/privacy/erasure.py": 2,
}


def _words(node: ast.AST) -> bool:
    """Whether a literal argument holds words (outside markup and placeholders)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORD.search(MARKUP.sub("", node.value)))
    if isinstance(node, ast.JoinedStr):
        return any(_words(part) for part in node.values if isinstance(part, ast.Constant))
    return False


def _cells(node: ast.AST) -> list[ast.AST]:
    """A writer's argument and, inside a list, tuple or conditional, each of its parts."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [part for element in node.elts for part in _cells(element)]
    if isinstance(node, ast.IfExp):
        return _cells(node.body) + _cells(node.orelse)
    return [node]


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def bare_literals(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        arguments: list[ast.AST] = []
        if isinstance(node, ast.Call) and _name(node) in OUTPUT_CALLS:
            positions = TEXT_ARGUMENTS.get(_name(node), (0,))
            arguments = [a for i, a in enumerate(node.args) if i in positions]
            arguments += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        elif isinstance(node, ast.Call) and _name(node) in WRITER_CALLS:
            arguments = [cell for argument in node.args for cell in _cells(argument)]
            arguments += [k.value for k in node.keywords if k.arg == "title"]
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "title"
                                                  for t in node.targets):
            arguments = [node.value]  # sheet.title = "…"
        if any(_words(argument) for argument in arguments):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def _modules() -> list[Path]:
    paths = [PACKAGE / name for name in SCANNED]
    return sorted({p for path in paths for p in ([path] if path.suffix == ".py" else path.rglob("*.py"))})


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
                      'typer.echo(f"wrote {n} rows")\n')
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path
    try:
        assert bare_literals(sample) == [f"{tmp_path.name}/sample.py:1", f"{tmp_path.name}/sample.py:4"]
    finally:
        PACKAGE = saved


def test_the_scan_reads_every_cell_a_writer_is_given(tmp_path):
    sample = tmp_path / "writer.py"
    sample.write_text('append_row(sheet, ["Year", year])\nappend_row(sheet, [_("Year"), year])\n'
                      'sheet.title = "Donor"\nsheet.title = _("Donor")\npdf.cell(0, 8, "Page 1")\n'
                      'writer.writerow(["STT", "Họ và tên"] if vi else headers())\nsheet.cell(1, 2).font = bold\n')
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path
    try:
        assert sorted(bare_literals(sample)) == [f"{tmp_path.name}/writer.py:{n}" for n in (1, 3, 5, 6)]
    finally:
        PACKAGE = saved


#: Words a template may hold as they are: names, not sentences (a language is named in itself).
NAMES = {"API", "Tiếng", "Việt", "English"}
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
