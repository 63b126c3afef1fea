"""A Babel extraction method for the CLI: its strings, plus the docstrings typer shows as help.

A command's docstring is its help text, so it is a msgid too (cleaned as typer cleans it:
`inspect.cleandoc`); babel.cfg names this method for donor_registry/cli/.
"""

from __future__ import annotations

import ast
import inspect

from babel.messages.extract import extract_python

_DECORATORS = {"command", "callback"}


def _takes_context(node: ast.AST) -> bool:
    """A function taking `ctx: typer.Context` is a command registered elsewhere (`app.command("x")(fn)`)."""
    return any(isinstance(arg.annotation, ast.Attribute) and arg.annotation.attr == "Context"
               for arg in node.args.args)


def _is_command(node: ast.AST) -> bool:
    if _takes_context(node):
        return True
    for decorator in getattr(node, "decorator_list", []):
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in _DECORATORS:
            return True
    return False


def extract_cli(fileobj, keywords, comment_tags, options):
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_command(node):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield node.lineno, None, inspect.cleandoc(doc), []
