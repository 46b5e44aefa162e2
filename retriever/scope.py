"""Who is asking, and the one rule of what they may see.

A document is `public` or `internal` (a file in a `noi-bo` folder, or an upload marked so:
`retriever.build.visibility_of`). The public sees public documents; officers and
administrators see internal ones too. `visible` is the only place that says so; the
retriever applies it through `scoped` (the filter every search carries), and everything
else that lists or answers from documents asks `visible` or `documents_for`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retriever.search import Filters
    from retriever.store import IndexedDocument


class Scope(StrEnum):
    PUBLIC = "public"  # a citizen on the portal: no credentials
    OFFICER = "officer"  # the officer key (or the admin key)
    ADMIN = "admin"  # the admin key


def visible(scope: Scope, visibility: str | None) -> bool:
    """The one visibility rule. A document without a recorded visibility (indexes from before
    it was recorded) is public, as it was when it was ingested."""
    return visibility != "internal" or scope is not Scope.PUBLIC


def documents_for(scope: Scope, documents: Iterable[IndexedDocument]) -> list[IndexedDocument]:
    """The documents (index records) that `scope` may see."""
    return [d for d in documents if visible(scope, d.visibility)]


def scoped(filters: Filters | None, scope: Scope) -> Filters:
    """The filter a search by `scope` carries: the caller's filters, restricted to what the
    scope may see. Callers never set `Filters.scope` themselves."""
    from retriever.search import Filters

    return replace(filters or Filters(), scope=scope)
