"""Jinja2 environments that speak through the catalogs: `_()` in a template is i18n.gettext.

The workspace (web/templates) and the older hospital and donor pages (api/templates) each have
one; both are extracted by babel.cfg's `[jinja2: donor_registry/**/templates/**.html]`. Filters
read values the way every screen does: `|date`, `|time`, `|datetime` (formatting.py) and
`|label` for an enum value (labels.py).
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from donor_registry import i18n
from donor_registry.i18n import formatting
from donor_registry.i18n.labels import label


def environment(package: str) -> Environment:
    """Templates from `package`'s templates folder, autoescaped, gettext bound to the current language."""
    env = Environment(loader=PackageLoader(package, "templates"), autoescape=select_autoescape(),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(
        gettext=lambda message: i18n.gettext(message),
        ngettext=lambda singular, plural, n: i18n.translations(i18n.current_language()).ngettext(singular, plural, n),
        newstyle=True)
    env.filters.update(date=formatting.date, time=formatting.time, datetime=formatting.datetime, label=label)
    return env
