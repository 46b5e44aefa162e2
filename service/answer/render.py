"""Strict rendering of the templates in `prompts/`: exactly the variables a template uses."""

from __future__ import annotations

from functools import cache
from string import Template

from service.resources import PROMPTS


class TemplateError(Exception):
    """A template was rendered with missing or unexpected variables."""


@cache
def _template(name: str) -> Template:
    path = PROMPTS / f"{name}.txt"
    return Template(path.read_text(encoding="utf-8").strip())


def render(name: str, **values: str) -> str:
    """Render `prompts/<name>.txt`; the variables given must be exactly those it uses.

    >>> render("answer_source", commune="Dân Hòa")
    'Theo kế hoạch cải cách hành chính của xã Dân Hòa:'
    """
    template = _template(name)
    wanted = set(template.get_identifiers())
    if wanted != set(values):
        missing, extra = wanted - set(values), set(values) - wanted
        raise TemplateError(
            f"prompts/{name}.txt: missing {sorted(missing)}, unexpected {sorted(extra)}"
        )
    return template.substitute(values)


@cache
def lines(name: str) -> tuple[str, ...]:
    """The non-empty lines of `prompts/<name>.txt` (a list the product shows, e.g. suggestions)."""
    text = (PROMPTS / f"{name}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def office() -> str:
    return render("office")
