"""The one place citations are built: passages and duty records are numbered in order of
first use and turned into the contract's citation objects (`n`, `doc_id`, `title`, `source`,
`kind`, `section`, `page`, `text`, `score`, `commune`, `year`, and `procedure_code` with
`source_url` (its page on the national portal) or `duty_id` where they apply)."""

from __future__ import annotations

from collections.abc import Callable

from ingest.duty import Duty
from retriever.search import Hit


class Citations:
    """Numbers what an answer quotes; `used()` gives the citation objects in that order.

    `code_of` names the procedure a passage belongs to (a procedure answer cites it);
    `url_of` its record's page on the national portal; `sources` gives a duty's source
    file name by document id."""

    def __init__(
        self,
        code_of: Callable[[str], str | None] | None = None,
        sources: dict[str, str | None] | None = None,
        url_of: Callable[[str], str | None] | None = None,
    ):
        self._code_of = code_of
        self._url_of = url_of
        self._sources = sources or {}
        self._numbers: dict[str, int] = {}
        self._made: list[dict] = []

    def number(self, hit: Hit) -> int:
        """The marker of a retrieved passage."""
        if hit.chunk.id not in self._numbers:
            self._add(hit.chunk.id, self._passage(hit))
        return self._numbers[hit.chunk.id]

    def number_duty(self, duty: Duty) -> int:
        """The marker of a duty record (its table row or sentence)."""
        if duty.id not in self._numbers:
            self._add(duty.id, self._duty(duty))
        return self._numbers[duty.id]

    def used(self) -> list[dict]:
        return [dict(c) for c in self._made]

    def _add(self, key: str, citation: dict) -> None:
        self._numbers[key] = len(self._made) + 1
        self._made.append({"n": self._numbers[key], **citation})

    def _passage(self, hit: Hit) -> dict:
        citation = hit.citation(0)
        del citation["n"]
        code = self._code_of(hit.chunk.doc_id) if self._code_of else None
        if not code:
            return citation
        url = self._url_of(hit.chunk.doc_id) if self._url_of else None
        return {**citation, "procedure_code": code, **({"source_url": url} if url else {})}

    def _duty(self, duty: Duty) -> dict:
        return {
            "doc_id": duty.doc_id,
            "title": duty.plan_title,
            "source": self._sources.get(duty.doc_id),
            "kind": "plan",
            "section": duty.section,
            "page": None,
            "text": duty.text,
            "score": 1.0,
            "commune": duty.commune,
            "year": duty.plan_year,
            "duty_id": duty.id,
        }


def renumbered(citations: list[dict], numbers: dict[int, int]) -> list[dict]:
    """The citations a rewritten text still cites, numbered as it cites them: `numbers` maps
    each old marker to its new one (`service.llm` keeps only the passages its verified
    sentences cite, in order of first use)."""
    by_n = {c["n"]: c for c in citations}
    return [{**by_n[old], "n": new} for old, new in sorted(numbers.items(), key=lambda x: x[1])]
