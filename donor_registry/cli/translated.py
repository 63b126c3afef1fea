"""Help in the reader's language: texts stay English msgids in the code and are translated when
help is shown, so `--lang en` and `$DONOR_REGISTRY_LANG` work for help as for everything else.

Typer renders help through its own classes and fixed strings (panel titles, "[default: …]"), with
no hook for a translation; `install()` wraps their `format_help` once so that, for one rendering,
the command's, its parameters' and its sub-commands' texts are swapped for their translations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

from typer import core, rich_utils

from donor_registry.i18n import N_, _
from donor_registry.i18n.labels import known_enums, label
from donor_registry.i18n.words import shown_words

_FIXED = {  # typer.rich_utils constants -> our msgids
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
HELP_OPTION_TEXT = N_("Show this message and exit.")
# typer's own options: their texts are msgids too, so that _swapped finds a translation.
TYPER_OPTION_TEXTS = (N_("Install completion for the current shell."),
                      N_("Show completion for the current shell, to copy it or customize the installation."))
USAGE_PREFIX = N_("Usage: ")
# The type column of help, in words a coordinator reads ('<int>' means nothing to most of them).
TYPE_WORDS = {"<str>": N_("<text>"), "<int>": N_("<number>"), "<float>": N_("<number>"),
              "<list[int]>": N_("<numbers>"), "<file>": N_("<file>"), "<directory>": N_("<folder>"),
              "<path>": N_("<path>"), "<int range>": N_("<number>"), "<float range>": N_("<number>")}


def _translated(text: str | None) -> str | None:
    return _(text) if text else text


@contextmanager
def _swapped(objects: list, attribute: str) -> Iterator[None]:
    saved = [getattr(obj, attribute, None) for obj in objects]
    try:
        for obj, text in zip(objects, saved):
            if text:
                setattr(obj, attribute, _translated(text))
        yield
    finally:
        for obj, text in zip(objects, saved):
            setattr(obj, attribute, text)


def _texts_of(command, ctx) -> tuple[list, list]:
    """The objects whose `help` / `short_help` the rendering of `command` reads."""
    helped = [command, *command.get_params(ctx)]
    subcommands = getattr(command, "commands", {}) or {}
    helped += list(subcommands.values())
    return helped, [command, *subcommands.values()]


def _format_help(original):
    def format_help(self, ctx, formatter):
        helped, shorts = _texts_of(self, ctx)
        fixed = {name: getattr(rich_utils, name) for name in _FIXED}
        try:
            for name, msgid in _FIXED.items():
                setattr(rich_utils, name, _(msgid))
            with _swapped(helped, "help"), _swapped(shorts, "short_help"):
                return original(self, ctx, formatter)
        finally:
            for name, value in fixed.items():
                setattr(rich_utils, name, value)
    return format_help


def _format_usage(self, ctx, formatter) -> None:
    formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix=_(USAGE_PREFIX))


def _get_help_option(original):
    def get_help_option(self, ctx):
        option = original(self, ctx)
        if option is not None and option.help in (None, "Show this message and exit."):
            option.help = HELP_OPTION_TEXT
        return option
    return get_help_option


def _labelled_enum(param) -> type[Enum] | None:
    annotation = param.type_descriptor.annotation
    if isinstance(annotation, type) and issubclass(annotation, Enum) and annotation.__name__ in known_enums():
        return annotation
    return None


def _display_type_rich(original):
    """An enum's type reads as its words (`<nam|nữ|không rõ>`), a flag shows none."""
    def display_type_rich(self, ctx):
        if self.metavar is None:
            if getattr(self, "is_flag", False):
                return None
            enum_cls = _labelled_enum(self)
            if enum_cls is not None:
                return "<" + "|".join(shown_words(enum_cls)) + ">"
        shown = original(self, ctx)
        return _(TYPE_WORDS[shown]) if shown in TYPE_WORDS else shown
    return display_type_rich


def _get_default_string(original):
    def get_default_string(self, *, ctx, show_default_is_str, default_value):
        if isinstance(default_value, Enum) and _labelled_enum(self) is not None:
            return label(default_value)
        return original(self, ctx=ctx, show_default_is_str=show_default_is_str, default_value=default_value)
    return get_default_string


_installed = False


def install() -> None:
    """Once per process: typer's command and group classes translate their help when rendering."""
    global _installed
    if _installed:
        return
    for cls in (core.TyperCommand, core.TyperGroup):
        cls.format_help = _format_help(cls.format_help)
        cls.format_usage = _format_usage
        cls.get_help_option = _get_help_option(cls.get_help_option)
    for cls in (core.TyperOption, core.TyperArgument):
        cls.display_type_rich = _display_type_rich(cls.display_type_rich)
        cls._get_default_string = _get_default_string(cls._get_default_string)
    _installed = True
