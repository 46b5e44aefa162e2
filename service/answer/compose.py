"""The extractive answerer: question → verified answer with `[n]` citations, or a refusal.

1. Understand the question; refuse personal-data requests and attempts to steer the
   assistant; decline communes and years the corpus has no document for.
2. Retrieve passages (a commune the question names filters them).
3. Decline when the best passage does not carry the question's words (support below
   `SUPPORT_THRESHOLD`, calibrated in eval/reports/answers.md).
4. Compose: the best sentence, bullet or table row first, then at most `MAX_SUPPORT`
   supporting ones; every line carries the marker of the passage it is quoted from, and
   every quoted line is a verbatim slice of that passage. Lists stay lists; a table row is
   shown as `header: cell` pairs; when several communes' plans answer, each is cited.
5. Verify: every number, percentage and date in a marked line appears in its citation.
"""

from __future__ import annotations

import datetime
import itertools
import math
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field

from ingest.clean import CELL_SEP
from ingest.textnorm import fold, has_diacritics
from retriever import segment
from retriever.duties import DutyTable
from retriever.scope import Scope, documents_for, scoped
from retriever.search import Filters, Hit, Searcher
from service.answer.duties import DutyAnswerer, DutyQuestion
from service.answer.procedure import ProcedureAnswerer
from service.answer.render import office, render
from service.answer.understand import Question, understand

# Share of the question's (rarity-weighted) content words that the best passage must hold.
# Chosen on the gold set: see eval/reports/answers.md (`tthc eval --answers --calibrate`).
SUPPORT_THRESHOLD = 0.5
MAX_SUPPORT = 2  # supporting lines after the lead
LENGTH_PENALTY = 0.2  # answer accuracy on the gold set: 0.893 at 0.0 and 0.1, 0.902 at 0.2
RETRIEVE_K = 8
# The same measure for procedure questions, taken with the lexicon's wording added (a
# citizen's `photo công chứng` is the record's `chứng thực bản sao`): eval/reports/procedures.md.
PROCEDURE_SUPPORT_THRESHOLD = 0.4
PROCEDURE_K = 40
# A question that speaks of the plans is answered from them even when a procedure ranks first.
_PLAN_WORDS = re.compile(
    r"\bke hoach\b|\bcchc\b|cai cach hanh chinh|chi tieu|nhiem vu|chu tri|phoi hop|kinh phi|\bquy [1-4iv]+\b|nam 20\d\d"
)
_BULLET = re.compile(r"^\s*(?:[-+•*–]|[a-zđ]\)|\d{1,2}(?:\.\d{1,2})*\.)\s*")
_SENTENCE = re.compile(r"(?<=[.;!?])\s+(?=[A-ZÀ-ỸĐ])")
_VALUE = re.compile(
    r"\d+(?:[.,]\d+)?\s?%|\d{1,2}/\d{1,2}/\d{4}|(?:Quý|quý)\s+[IV]+(?:\s*[-–]\s*[IV]+)?(?:/\d{4})?|"
    r"(?:Tháng|tháng)\s+\d{1,2}(?:/\d{4})?|\b\d{4}\b|\b\d{2,}\b"
)
_INTENT_VALUE = {
    "how_much": re.compile(r"\d+(?:[.,]\d+)?\s?%|\b\d+\b"),
    "when": re.compile(
        r"\d{1,2}/\d{1,2}/\d{4}|[Qq]uý\s+[IV]+|[Tt]háng\s+\d|[Nn]ăm\s+\d{4}|thường xuyên|hằng (năm|tháng|quý)|định kỳ",
        re.IGNORECASE,
    ),
    "who": re.compile(
        r"Phòng|Văn phòng|Trung tâm|Công an|Ủy ban|UBND|Điểm PVHCC|Ban |Mặt trận|Chủ tịch|công chức"
    ),
}
# Words every question about these plans shares, and the words that only shape a question;
# neither says which passage answers. Compared folded, so both spellings are covered.
_GENERIC = frozenset(
    [
        "xa",
        "ke",
        "hoach",
        "cchc",
        "cai",
        "cach",
        "hanh",
        "chinh",
        "nam",
        "nha",
        "nuoc",
        "uy",
        "ban",
        "nhan",
        "dan",
        "ubnd",
        "ai",
        "khi",
        "nao",
        "bao",
        "nhieu",
        "gio",
        "may",
        "phan",
        "tram",
        "ty",
        "le",
        "xong",
        "thang",
        "han",
        "lam",
        "gi",
        "de",
        "the",
        "sao",
        "co",
        "khong",
        "phai",
        "duoc",
        "cho",
        "toi",
        "hoi",
        "o",
        "dau",
        "nhung",
        "gom",
        "cua",
        "va",
        "tu",
        "den",
        "ra",
        "lay",
        "can",
        "biet",
        "muon",
        "xin",
        "a",
        "nhe",
        "vay",
        "chua",
    ]
)


@dataclass
class Answer:
    answer: str
    citations: list[dict] = field(default_factory=list)
    abstained: bool = False
    mode: str = "extractive"  # the contract's values: "extractive" | "llm"
    answerer: str = "passages"  # which extractive answerer: "passages" | "procedure" | "duties"
    session_id: str = ""
    reason: str | None = None  # why the answer declined, when it did
    support: float | None = None
    answer_id: str = ""  # what feedback on this answer refers to
    understood_as: str | None = None  # a follow-up question as read with the conversation

    def to_json(self) -> dict:
        return {
            "answer": self.answer,
            "citations": self.citations,
            "abstained": self.abstained,
            "mode": self.mode,
            "answerer": self.answerer,
            "session_id": self.session_id,
            "reason": self.reason,
            "answer_id": self.answer_id,
            "understood_as": self.understood_as,
        }


class Answerer:
    """Holds what answering needs from one loaded index: the searcher and word rarities."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        folded = searcher.lexical("bm25_folded")
        self._phrases = {t for t in folded.vocabulary if "_" in t}
        n = max(1, len(searcher.chunks))
        df = Counter(
            t
            for tokens in searcher.generation.tokens
            for view in ("folded", "syllables")
            for t in set(tokens[view])
        )
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._idf_unknown = math.log(1 + n)
        # What each scope may be answered from (`retriever.scope.visible`): the same for all
        # unless some documents are internal. Nothing of an internal document reaches a public
        # answer, not even the name of its commune in a refusal.
        self._books: dict[Scope, _Books] = {}
        for scope in Scope:
            seen = documents_for(scope, searcher.generation.documents)
            ids = frozenset(d["doc_id"] for d in seen)
            same = next((b for b in self._books.values() if b.ids == ids), None)
            self._books[scope] = same or _Books.of(searcher, seen, ids)
        self.today = datetime.date.today  # "sắp đến hạn" is counted from today

    # -- public -----------------------------------------------------------------------------

    def answer(
        self, text: str, k: int = 5, filters: Filters | None = None, session_id: str | None = None
    ) -> Answer:
        session = session_id or uuid.uuid4().hex
        q = understand(text, self.searcher.known_communes, self._phrases)
        declined = self._decline(q, filters)
        if declined:
            declined.session_id = session
            return declined
        communes = q.communes or ((fold(filters.commune),) if filters and filters.commune else ())
        # Officers name their commune or speak of the plans; a citizen's `phải báo công an
        # trước mấy giờ` does neither and is a question about a procedure.
        duties = self.books(_scope(filters)).duties
        if (
            duties
            and not (filters and filters.kind == "procedure")
            and (communes or _PLAN_WORDS.search(q.folded))
        ):
            asked = DutyQuestion.read(q.text, communes, duties.table, self.today())
            if asked:
                answered = self._answer_duties(_scope(filters), asked, q, session)
                if answered:
                    return answered
        hits = self.searcher.search(q.text, k=max(k, RETRIEVE_K), filters=filters)
        if not hits:
            return self._abstain("unsupported", session)
        if self._about_procedure(q, hits, filters):
            return self._answer_procedure(q, hits, session, filters)
        support = self.support(q, hits[0])
        if support < SUPPORT_THRESHOLD:
            result = self._abstain("unsupported", session)
            result.support = support
            return result
        result = self._compose(q, hits, filters)
        result.session_id, result.support = session, support
        return result

    def support(self, q: Question, hit: Hit) -> float:
        """How much of the question the passage carries: the rarity-weighted share of the
        question's content words found in it, averaged with the share of their adjacent
        pairs. Words are compared with their diacritics when the question has them
        (folded, `thuốc` meets `thuộc` and `đau` meets `đầu`)."""
        words = self._content_words(q.text)
        if not words:
            return 0.0
        tokens = _view(q.text)(hit.chunk.index_text())
        present = set(tokens) | {f"{a} {b}" for a, b in itertools.pairwise(tokens)}
        total = sum(self._weight(w) for w in words)
        unigrams = sum(self._weight(w) for w in words if w in present) / total
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
        if not pairs:
            return unigrams
        return 0.5 * unigrams + 0.5 * sum(1 for p in pairs if p in present) / len(pairs)

    # -- procedures ---------------------------------------------------------------------------

    def _about_procedure(self, q: Question, hits: list[Hit], filters: Filters | None) -> bool:
        """A question goes to the procedure records when it neither names a commune nor speaks
        of the plans, and either the best passage is a procedure's or it asks for a procedure
        field (`mấy ngày`, `giấy tờ gì`) or uses the lexicon's words and a procedure ranks
        near the top (plans say `chứng thực`, `lệ phí` too)."""
        if (
            not self._book(filters)
            or q.communes
            or (filters and filters.commune)
            or _PLAN_WORDS.search(q.folded)
        ):
            return False
        if hits[0].chunk.kind == "procedure":
            return True
        asks = bool(q.fields) or bool(self.searcher.lexicon.matches(q.text))
        return asks and any(
            h.chunk.kind == "procedure" and h.score >= 0.8 * hits[0].score for h in hits[:5]
        )

    def books(self, scope: Scope) -> _Books:
        """The procedure book, duty table and places that `scope` may be answered from."""
        return self._books[scope]

    def _book(self, filters: Filters | None) -> ProcedureAnswerer:
        return self.books(_scope(filters)).procedures

    def _answer_procedure(
        self, q: Question, hits: list[Hit], session: str, filters: Filters | None
    ) -> Answer:
        # Deeper, among procedures only: look-alike records (`Xóa đăng ký thường trú`) can
        # fill the first eight passages and push the one asked for out of them.
        book = self._book(filters)
        hits = (
            self.searcher.search(
                q.text, k=PROCEDURE_K, filters=scoped(Filters(kind="procedure"), _scope(filters))
            )
            or hits
        )
        top = [h for h in hits[:3] if h.chunk.kind == "procedure"]
        support = max(self.support(q, h) for h in top)
        # The documents' wording of the citizen's everyday phrases, each phrase on its own: one
        # phrase that misfires (`khách đến nhà` → `lưu động`) must not dilute the one that
        # carries the question (`ngủ lại` → `lưu trú`).
        for wording in self.searcher.lexicon.expansions(q.text):
            documents = understand(wording, self.searcher.known_communes, self._phrases)
            support = max(support, *(self.support(documents, h) for h in top))
        if support < PROCEDURE_SUPPORT_THRESHOLD:
            result = self._abstain("unsupported", session)
            result.support = support
            return result
        cites = _Citations()
        text = book.compose(q, self.searcher.lexicon.expand(q.text), hits, cites.number)
        if text is None:
            return self._abstain("unsupported", session)
        citations = cites.used()
        for c in citations:
            code = book.code_of_doc(c["doc_id"])
            if code:
                c["procedure_code"] = code
        return Answer(
            text, citations=citations, session_id=session, support=support, answerer="procedure"
        )

    # -- duties -------------------------------------------------------------------------------

    def _answer_duties(
        self, scope: Scope, asked: DutyQuestion, q: Question, session: str
    ) -> Answer | None:
        """A list of duties with their sources; None (answer from passages instead) when no
        duty matches a question that names no unit or period, since then it may not be a
        question about duties at all. "Who leads X" in words the plan does not use is found
        by retrieval: the duty whose source holds the best passage, if it carries the question."""
        table = self.books(scope).duties
        duties = table.select(asked)
        if not duties and asked.kind == "lead":
            hits = self.searcher.search(
                q.text,
                k=1,
                filters=scoped(Filters(commune=asked.commune or None, kind="plan"), scope),
            )
            if hits and self.support(q, hits[0]) >= SUPPORT_THRESHOLD:
                duties = table.from_passage(
                    hits[0].chunk.doc_id, hits[0].chunk.start, hits[0].chunk.end
                )
        if not duties:
            if asked.units or asked.period or asked.due_before:
                return Answer(
                    render("duty_none", office=office()),
                    abstained=True,
                    session_id=session,
                    reason="no_duty",
                    answerer="duties",
                )
            return None
        citations: list[dict] = []
        numbers: dict[str, int] = {}

        def number(duty) -> int:
            if duty.id not in numbers:
                numbers[duty.id] = len(citations) + 1
                citations.append(
                    {
                        "n": numbers[duty.id],
                        "doc_id": duty.doc_id,
                        "title": duty.plan_title,
                        "source": table.table.sources.get(duty.doc_id),
                        "kind": "plan",
                        "section": duty.section,
                        "page": None,
                        "text": duty.text,
                        "score": 1.0,
                        "commune": duty.commune,
                        "year": duty.plan_year,
                        "duty_id": duty.id,
                    }
                )
            return numbers[duty.id]

        text = table.compose(duties, number)
        return Answer(text, citations=citations, session_id=session, answerer="duties")

    # -- declining ----------------------------------------------------------------------------

    def _decline(self, q: Question, filters: Filters | None) -> Answer | None:
        if q.refusal:
            return self._abstain(q.refusal, "")
        names, coverage = self.books(_scope(filters)).places
        if q.unknown_place and not (filters and filters.commune):
            known = ", ".join(names)
            return Answer(
                render(
                    "abstain_unknown_commune", commune=q.unknown_place, known=known, office=office()
                ),
                abstained=True,
                reason="unknown_commune",
            )
        if q.years:
            scope = (
                [fold(filters.commune)]
                if filters and filters.commune
                else list(q.communes) or list(coverage)
            )
            covered = set().union(*(coverage.get(c, set()) for c in scope)) if scope else set()
            if covered and not any(y in covered for y in q.years):
                return Answer(
                    render(
                        "abstain_unknown_year",
                        year=", ".join(map(str, q.years)),
                        covered=_span(covered),
                        office=office(),
                    ),
                    abstained=True,
                    reason="unknown_year",
                )
        return None

    def _abstain(self, reason: str, session: str) -> Answer:
        return Answer(
            render(f"abstain_{reason}", office=office()),
            abstained=True,
            session_id=session,
            reason=reason,
        )

    # -- composing ----------------------------------------------------------------------------

    def _content_words(self, text: str) -> list[str]:
        """The question's words that say what it is about, in order, in the view that fits it."""
        plain = [t for t in _view(text)(text) if "_" not in t]
        return [t for t in dict.fromkeys(plain) if fold(t) not in _GENERIC and not t.isdigit()]

    def _weight(self, token: str) -> float:
        return self._idf.get(token, self._idf_unknown)

    def _score_unit(self, q: Question, words: list[str], unit: str) -> float:
        present = set(_view(q.text)(unit))
        total = sum(self._weight(w) for w in words) or 1.0
        score = sum(self._weight(w) for w in words if w in present) / total
        bonus = sum(
            0.15
            for intent in q.intents
            if intent in _INTENT_VALUE and _INTENT_VALUE[intent].search(unit)
        )
        # Among lines that carry the question equally, the shorter one answers more directly.
        return score + min(bonus, 0.3) - LENGTH_PENALTY * min(1.0, len(unit) / 400)

    def _compose(self, q: Question, hits: list[Hit], filters: Filters | None) -> Answer:
        words = self._content_words(q.text)
        several = self._several_communes(q, hits, filters)
        if several:
            return self._compose_several(q, words, several)
        candidates = []  # (score, hit rank, unit text)
        for rank, hit in enumerate(hits[:3]):
            if hit.score < 0.5 * hits[0].score:
                break
            for unit in _units(hit):
                candidates.append(
                    (self._score_unit(q, words, unit) * (1 - 0.08 * rank), rank, unit)
                )
        candidates.sort(key=lambda c: -c[0])
        lead_score, lead_rank, lead_unit = candidates[0]
        cites = _Citations()
        lines = [_line(lead_unit, hits[lead_rank], cites, q)]
        if "list" in q.intents and not hits[lead_rank].chunk.columns:
            lines = [
                _line(u, hits[lead_rank], cites, q, bullet=True) for u in _units(hits[lead_rank])
            ][:8]
        else:
            for score, rank, unit in candidates[1:]:
                if len(lines) > MAX_SUPPORT or score < 0.6 * lead_score:
                    break
                lines.append(_line(unit, hits[rank], cites, q, bullet=True))
        commune = hits[lead_rank].chunk.commune
        head = render("answer_source", commune=commune) if commune else ""
        text = "\n".join([f"{head} {lines[0]}".strip(), *lines[1:]])
        return Answer(text, citations=cites.used())

    def _several_communes(
        self, q: Question, hits: list[Hit], filters: Filters | None
    ) -> dict[str, Hit]:
        """Best hit per commune when the question names none and several plans answer alike."""
        if q.communes or (filters and filters.commune):
            return {}
        best: dict[str, Hit] = {}
        for hit in hits:
            commune = hit.chunk.commune or ""
            if commune not in best and hit.score >= 0.85 * hits[0].score:
                best[commune] = hit
        return best if len(best) >= 2 else {}

    def _compose_several(self, q: Question, words: list[str], best: dict[str, Hit]) -> Answer:
        cites = _Citations()
        lines = [render("several_sources", communes=", ".join(best))]
        for commune, hit in best.items():
            unit = max(_units(hit), key=lambda u: self._score_unit(q, words, u))
            lines.append(f"- Xã {commune}: {_line(unit, hit, cites, q)}")
        return Answer("\n".join(lines), citations=cites.used())


@dataclass(frozen=True)
class _Books:
    """What one scope may be answered from: its procedures, its duties and its places."""

    ids: frozenset[str]  # the documents it sees
    procedures: ProcedureAnswerer
    duties: DutyAnswerer
    places: tuple[list[str], dict[str, set[int]]]

    @classmethod
    def of(cls, searcher: Searcher, seen: list[dict], ids: frozenset[str]) -> _Books:
        hidden = frozenset(d["doc_id"] for d in searcher.generation.documents) - ids
        return cls(
            ids,
            ProcedureAnswerer(searcher, exclude=hidden),
            DutyAnswerer(DutyTable(seen)),
            _places(seen),
        )


def _scope(filters: Filters | None) -> Scope:
    return filters.scope if filters else Scope.PUBLIC


class _Citations:
    """Numbers passages in order of first use and builds the contract's citation objects."""

    def __init__(self):
        self._numbers: dict[str, int] = {}
        self._order: list[Hit] = []

    def number(self, hit: Hit) -> int:
        if hit.chunk.id not in self._numbers:
            self._order.append(hit)
            self._numbers[hit.chunk.id] = len(self._order)
        return self._numbers[hit.chunk.id]

    def used(self) -> list[dict]:
        return [hit.citation(n) for n, hit in enumerate(self._order, start=1)]


def _view(question: str):
    """Syllables with diacritics for a question typed with them; folded ones otherwise."""
    return segment.syllables if has_diacritics(question) else segment.folded


def _units(hit: Hit) -> list[str]:
    """The quotable pieces of a passage: its table row, or its lines cut into sentences."""
    if hit.chunk.columns:
        return [hit.chunk.text]
    units = []
    for line in hit.chunk.text.split("\n"):
        if len(line) <= 300:
            units.append(line)
        else:
            units.extend(_SENTENCE.split(line))
    return [u for u in units if u.strip()]


def _line(unit: str, hit: Hit, cites: _Citations, q: Question, bullet: bool = False) -> str:
    """One answer line quoting `unit` from `hit`, with its marker."""
    n = cites.number(hit)
    if hit.chunk.columns:
        cells = [c.strip() for c in unit.split(CELL_SEP)]
        pairs = [
            (h, c)
            for h, c in zip(hit.chunk.columns, cells)
            if c and h.upper() not in ("TT", "STT", "SỐ TT")
        ]
        body = "; ".join(f"{h}: {c}" for h, c in pairs)
    else:
        body = _BULLET.sub("", unit).strip()
    body = body.rstrip(" ;,")
    return f"{'- ' if bullet else ''}{body} [{n}]"


def _places(docs: list[dict]) -> tuple[list[str], dict[str, set[int]]]:
    """The communes these documents cover, by name, and the years each commune's plans cover."""
    names = sorted({d["commune"] for d in docs if d.get("commune")})
    return names, {
        fold(d["commune"] or ""): _years_covered(d) for d in docs if d.get("kind") != "procedure"
    }


def _years_covered(document: dict) -> set[int]:
    match = re.search(r"giai đoạn\s+(\d{4})\s*[-–]\s*(\d{4})", document.get("title", ""))
    if match:
        return set(range(int(match.group(1)), int(match.group(2)) + 1))
    return {document["year"]} if document.get("year") else set()


def _span(years: set[int]) -> str:
    ordered = sorted(years)
    return ", ".join(map(str, ordered)) if len(ordered) <= 3 else f"{ordered[0]}–{ordered[-1]}"


def unsupported_values(answer_text: str, citations: list[dict]) -> list[str]:
    """Values (numbers, percentages, dates) stated in marked lines that their citations lack."""
    by_n = {c["n"]: fold(c["text"]) for c in citations}
    missing = []
    for line in answer_text.split("\n"):
        markers = [int(m) for m in re.findall(r"\[(\d+)\]", line)]
        if not markers:
            continue
        if any(m not in by_n for m in markers):
            missing.append(f"[?] {line}")
            continue
        body = re.sub(r"\[\d+\]", "", line)
        for value in _VALUE.findall(body):
            if not any(fold(value) in by_n[m] for m in markers):
                missing.append(value)
    return missing
