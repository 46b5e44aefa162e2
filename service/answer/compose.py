"""The extractive answerer: question → verified answer with `[n]` citations, or a refusal.

1. Understand the question; refuse personal-data requests and attempts to steer the
   assistant; decline communes and years the corpus has no document for.
2. Retrieve passages (a commune the question names filters them).
3. Decline when the best passage does not carry the question's words (support below
   `AnswerConfig.support_threshold`, calibrated in eval/reports/answers.md).
4. Compose: the best sentence, bullet or table row first, then at most `max_support`
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from ingest.clean import CELL_SEP
from ingest.textnorm import fold
from retriever.duties import DutyTable
from retriever.lexical import BM25
from retriever.scope import Scope, documents_for, scoped
from retriever.search import Filters, Hit, Searcher
from retriever.store import IndexedDocument
from service.answer.cite import Citations
from service.answer.config import AnswerConfig
from service.answer.duties import DutyAnswerer, DutyQuestion
from service.answer.procedure import ProcedureAnswerer
from service.answer.render import office, render
from service.answer.result import Answer
from corpus.situations import Situation
from service.answer.situations import CATALOGUE
from service.answer.understand import Question, Words
from service.conversation import Turn

__all__ = ["Answer", "Extractive", "unsupported_values"]

# A question that speaks of the plans is answered from them even when a procedure ranks first.
_PLAN_TOPIC = (
    r"\bke hoach\b|\bcchc\b|cai cach hanh chinh|chi tieu|nhiem vu|chu tri|phoi hop|kinh phi|"
    r"\bquy [1-4iv]+\b"
)
_PLAN_SUBJECT = re.compile(_PLAN_TOPIC)  # what only plans speak of
# Duties are tried on a year too (`năm 2026 phải xong trước ngày nào`); a procedure question
# that mentions one (`năm 2026 đăng ký kết hôn có mất phí không`) is still one.
_PLAN_WORDS = re.compile(_PLAN_TOPIC + r"|nam 20\d\d")
_BULLET = re.compile(r"^\s*(?:[-+•*–]|[a-zđ]\)|\d{1,2}(?:\.\d{1,2})*\.)\s*")
_SENTENCE = re.compile(r"(?<=[.;!?])\s+(?=[A-ZÀ-ỸĐ])")
_VALUE = re.compile(
    r"\d+(?:[.,]\d+)?\s?%|\d{1,2}/\d{1,2}/\d{4}|(?:Quý|quý)\s+[IV]+(?:\s*[-–]\s*[IV]+)?(?:/\d{4})?|"
    r"(?:Tháng|tháng)\s+\d{1,2}(?:/\d{4})?|\b\d{4}\b|\b\d{2,}\b"
)
_INTENT_VALUE = {
    "how_much": re.compile(r"\d+(?:[.,]\d+)?\s?%|\b\d+\b"),
    "when": re.compile(
        r"\d{1,2}/\d{1,2}/\d{4}|[Qq]uý\s+[IV]+|[Tt]háng\s+\d|[Nn]ăm\s+\d{4}|thường xuyên|"
        r"hằng (năm|tháng|quý)|định kỳ",
        re.IGNORECASE,
    ),
    "who": re.compile(
        r"Phòng|Văn phòng|Trung tâm|Công an|Ủy ban|UBND|Điểm PVHCC|Ban |Mặt trận|Chủ tịch|công chức"
    ),
}


class Extractive:
    """The extractive answerer over one loaded index: the searcher, word rarities, and what
    each scope may be answered from. Every answer is quoted from the documents."""

    def __init__(
        self,
        searcher: Searcher,
        config: AnswerConfig = AnswerConfig(),
        today: Callable[[], datetime.date] = datetime.date.today,
    ):
        self.searcher, self.config = searcher, config
        self.today = today  # "sắp đến hạn" is counted from today
        folded = searcher.lexical("bm25_folded")
        self.phrases = frozenset(t for t in folded.vocabulary if "_" in t)
        self._books = _books_by_scope(searcher, config)

    def books(self, scope: Scope) -> Books:
        """The procedure book, duty table and places that `scope` may be answered from."""
        return self._books[scope]

    # -- the answerer interface ---------------------------------------------------------------

    def answer(self, question: Question, scope: Scope, history: Sequence[Turn] = ()) -> Answer:
        """`history` is not read: a follow-up has been read with it before it gets here."""
        q = question
        if q.refusal:
            return _abstain(q.refusal)
        answered = self._try_duties(q, scope)
        if answered:
            return answered
        k = max(q.k, self.config.retrieve_k)
        hits = self.searcher.search(q.text, k=k, filters=scoped(q.given, scope))
        # A procedure is national: the commune or the year a citizen mentions in passing
        # (`tôi ở xã Tân Phú`, `năm 2026 có mất phí không`) is context, not a filter.
        probe = hits  # what the question is about, asked without its commune and year
        if q.topic and q.topic != q.text:
            probe = self.searcher.search(q.topic, k=k, filters=scoped(q.given, scope))
        if probe and self._about_procedure(q, probe, scope):
            answered = self._answer_procedure(q, probe, scope)
            # With a commune named, a procedure the question does not name gives way to that
            # commune's plans (`xã Đức An năm 2019 giải quyết bao nhiêu hồ sơ đúng hạn`).
            if not q.communes or self._named(q, answered, scope):
                return answered
            return self._decline(q, scope) or self._plan_answer(q, hits, scope)
        declined = self._decline(q, scope)
        if declined:
            # `mở hộ kinh doanh ở xã Bát Tràng năm 2026 lệ phí bao nhiêu`: no plan covers that
            # commune or year, but the procedure it asks about answers it anywhere.
            return self._procedure_instead(q, hits, scope) or declined
        return self._plan_answer(q, hits, scope)

    def _plan_answer(self, q: Question, hits: list[Hit], scope: Scope) -> Answer:
        """The plans' passages' answer, or a decline when the best does not carry it."""
        if not hits:
            return _abstain("unsupported")
        support = self.support(_words(q), hits[0], scope)
        if support < self.config.support_threshold:
            return _abstain("unsupported", support)
        return replace(self._compose(q, hits, scope), support=support)

    def stream(
        self, question: Question, scope: Scope, history: Sequence[Turn] = ()
    ) -> Iterator[str | Answer]:
        """The answer line by line (it is ready at once), then the whole Answer."""
        answer = self.answer(question, scope, history)
        yield from answer.answer.splitlines(keepends=True)
        yield answer

    def support(self, words: Words, hit: Hit, scope: Scope) -> float:
        """How much of the question the passage carries (`carried`)."""
        return self.carried(words, hit.chunk.index_text(), scope)

    def carried(self, words: Words, text: str, scope: Scope) -> float:
        """How much of the question a text carries: the rarity-weighted share of the
        question's content words found in it, averaged with the share of their adjacent
        pairs, in the question's own view (`Words`)."""
        if not words.content:
            return 0.0
        tokens = words.tokens(text)
        present = set(tokens) | {f"{a} {b}" for a, b in itertools.pairwise(tokens)}
        weight = self.books(scope).rarity.weight
        total = sum(weight(w) for w in words.content)
        unigrams = sum(weight(w) for w in words.content if w in present) / total
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(words.content)]
        if not pairs:
            return unigrams
        return 0.5 * unigrams + 0.5 * sum(1 for p in pairs if p in present) / len(pairs)

    # -- procedures ---------------------------------------------------------------------------

    def _about_procedure(self, q: Question, hits: list[Hit], scope: Scope) -> bool:
        """A question goes to the procedure records when it neither names a commune nor speaks
        of the plans, and either the best passage is a procedure's or it asks for a procedure
        field (`mấy ngày`, `giấy tờ gì`) or uses the lexicon's words and a procedure ranks
        near the top (plans say `chứng thực`, `lệ phí` too)."""
        if not self.books(scope).procedures or q.commune_given or _PLAN_SUBJECT.search(q.folded):
            return False
        if q.communes:  # its hits are that commune's plans: the plans, unless they miss it
            return not self._plan_carries(q, scope) and (bool(q.fields) or q.lexicon_hit)
        if hits[0].chunk.kind == "procedure":
            return True
        asks = bool(q.fields) or q.lexicon_hit
        return asks and any(
            h.chunk.kind == "procedure" and h.score >= 0.8 * hits[0].score for h in hits[:5]
        )

    def _not_covered(
        self, asked: tuple[Situation, ...], hits: list[Hit], scope: Scope
    ) -> Answer | None:
        """A question only about a thing (`sổ đỏ`, `con nuôi`) that no procedure of the index
        is about is not answered with another procedure: it is declined with the closest
        titles (`mất sổ đỏ` is not `chứng thực hợp đồng`). A thing asked with an event the
        index knows (`kết hôn cần mang căn cước không`) is a paper of that event's procedure."""
        book = self.books(scope).procedures
        things = [s for s in asked if s.entity]
        if not things or len(things) < len(asked) or any(book.members(s) for s in things):
            return None
        choices = book.choose(hits)[:3]
        text = render(
            "abstain_not_covered",
            situation=things[0].name.lower(),
            names="; ".join(f"{c.name} (mã {c.code})" for c in choices) or "không có",
            office=office(),
        )
        return Answer(text, abstained=True, reason="not_covered", answerer="procedure")

    def _procedure_instead(self, q: Question, hits: list[Hit], scope: Scope) -> Answer | None:
        """The procedure answer to a question that asks for a procedure's field or uses the
        lexicon's words, not of the plans, when the procedures carry it; else None."""
        asks = bool(q.fields) or q.lexicon_hit
        if not asks or q.commune_given or _PLAN_SUBJECT.search(q.folded):
            return None
        if not self.books(scope).procedures:
            return None
        answered = self._answer_procedure(q, hits, scope)
        named = not q.communes or self._named(q, answered, scope)
        return answered if named and self._stands_in(answered) else None

    def _named(self, q: Question, answered: Answer, scope: Scope) -> bool:
        """The question (with its lexicon wording) spells at least half of the name of the
        procedure that answers it."""
        codes = [c.get("procedure_code") for c in answered.citations]
        book = self.books(scope).procedures
        return bool(codes) and book.named(str(codes[0]), q.expanded or q.text) >= 0.5

    def _stands_in(self, answered: Answer) -> bool:
        """A procedure answer strong enough to stand in for a plan question's answer or
        decline (`Đức An năm 2019 giải quyết bao nhiêu hồ sơ` is neither a plan's nor a
        procedure's: declined for its year)."""
        return not answered.abstained and (answered.support or 0.0) >= self.config.instead_support

    def _plan_carries(self, q: Question, scope: Scope) -> bool:
        """The plans of the commune the question names carry it: then it is about them."""
        plan = scoped(Filters(commune=q.communes[0], kind="plan"), scope)
        hits = self.searcher.search(q.text, k=1, filters=plan)
        threshold = self.config.support_threshold
        return bool(hits) and self.support(_words(q), hits[0], scope) >= threshold

    def _answer_procedure(self, q: Question, hits: list[Hit], scope: Scope) -> Answer:
        # Deeper, among procedures only: look-alike records (`Xóa đăng ký thường trú`) can
        # fill the first eight passages and push the one asked for out of them.
        # Asked without the commune and the year it names: a procedure is the same anywhere.
        book = self.books(scope).procedures
        only = scoped(Filters(kind="procedure"), scope)
        topic = q.topic or q.text
        hits = self.searcher.search(topic, k=self.config.procedure_k, filters=only) or hits
        top = [h for h in hits[:3] if h.chunk.kind == "procedure"]
        words = Words.of(topic)
        support = max(self.support(words, h, scope) for h in top)
        # The documents' wording of the citizen's everyday phrases, each phrase on its own: one
        # phrase that misfires (`khách đến nhà` → `lưu động`) must not dilute the one that
        # carries the question (`ngủ lại` → `lưu trú`).
        for wording in q.wordings:
            support = max(support, *(self.support(wording, h, scope) for h in top))
        if support < self.config.procedure_support_threshold:
            return _abstain("unsupported", support)
        asked = CATALOGUE.of(q.folded)
        unknown = self._not_covered(asked, hits, scope)
        if unknown:
            return unknown
        cites = Citations(code_of=book.code_of_doc, url_of=book.url_of_doc)
        composed = book.compose(
            q,
            q.expanded,
            hits,
            cites.number,
            asked,
        )
        if composed is None:
            return _abstain("unsupported")
        text, details = composed
        return Answer(
            text, citations=cites.used(), support=support, answerer="procedure", details=details
        )

    # -- duties -------------------------------------------------------------------------------

    def _try_duties(self, q: Question, scope: Scope) -> Answer | None:
        """Officers name their commune or speak of the plans; a citizen's `phải báo công an
        trước mấy giờ` does neither and is a question about a procedure."""
        given = q.given
        communes = q.communes or ((fold(given.commune),) if given and given.commune else ())
        table = self.books(scope).duties
        if not table or (given and given.kind == "procedure"):
            return None
        if not (communes or _PLAN_WORDS.search(q.folded)):
            return None
        asked = DutyQuestion.read(q.text, communes, table.table, self.today())
        return self._answer_duties(scope, asked, q) if asked else None

    def _answer_duties(self, scope: Scope, asked: DutyQuestion, q: Question) -> Answer | None:
        """A list of duties with their sources; None (answer from passages instead) when no
        duty matches a question that names no unit or period, since then it may not be a
        question about duties at all. "Who leads X" in words the plan does not use is found
        by retrieval: the duty whose source holds the best passage, if it carries the question."""
        table = self.books(scope).duties
        duties = table.select(asked)
        if not duties and asked.kind == "lead":
            plan = scoped(Filters(commune=asked.commune or None, kind="plan"), scope)
            hits = self.searcher.search(q.text, k=1, filters=plan)
            support = self.support(_words(q), hits[0], scope) if hits else 0.0
            if hits and support >= self.config.support_threshold:
                chunk = hits[0].chunk
                duties = table.from_passage(chunk.doc_id, chunk.start, chunk.end)
        if not duties:
            if asked.units or asked.period or asked.due_before:
                text = render("duty_none", office=office())
                return Answer(text, abstained=True, reason="no_duty", answerer="duties")
            return None
        cites = Citations(sources=table.table.sources)
        text = table.compose(duties, cites.number_duty)
        return Answer(text, citations=cites.used(), answerer="duties")

    # -- declining ----------------------------------------------------------------------------

    def _decline(self, q: Question, scope: Scope) -> Answer | None:
        """A plan question about a commune or a year no document covers."""
        names, coverage = self.books(scope).places
        if q.unknown_place and not q.commune_given:
            text = render(
                "abstain_unknown_commune",
                commune=q.unknown_place,
                known=", ".join(names),
                office=office(),
            )
            return Answer(text, abstained=True, reason="unknown_commune")
        if not q.years:
            return None
        given = q.commune_given
        communes = [fold(given)] if given else list(q.communes) or list(coverage)
        covered = set().union(*(coverage.get(c, set()) for c in communes)) if communes else set()
        if covered and not any(y in covered for y in q.years):
            text = render(
                "abstain_unknown_year",
                year=", ".join(map(str, q.years)),
                covered=_span(covered),
                office=office(),
            )
            return Answer(text, abstained=True, reason="unknown_year")
        return None

    # -- composing ----------------------------------------------------------------------------

    def _score_unit(self, q: Question, unit: str, scope: Scope) -> float:
        words = _words(q).content
        present = set(_words(q).tokens(unit))
        weight = self.books(scope).rarity.weight
        total = sum(weight(w) for w in words) or 1.0
        score = sum(weight(w) for w in words if w in present) / total
        bonus = sum(
            0.15
            for intent in q.intents
            if intent in _INTENT_VALUE and _INTENT_VALUE[intent].search(unit)
        )
        # Among lines that carry the question equally, the shorter one answers more directly.
        return score + min(bonus, 0.3) - self.config.length_penalty * min(1.0, len(unit) / 400)

    def _compose(self, q: Question, hits: list[Hit], scope: Scope) -> Answer:
        several = _several_communes(q, hits)
        if several:
            return self._compose_several(q, several, scope)
        candidates = []  # (score, hit rank, unit text)
        for rank, hit in enumerate(hits[: self.config.compose_from]):
            if hit.score < 0.5 * hits[0].score:
                break
            for unit in _units(hit):
                score = self._score_unit(q, unit, scope)
                candidates.append((score * (1 - self.config.rank_discount * rank), rank, unit))
        candidates.sort(key=lambda c: -c[0])
        lead_score, lead_rank, lead_unit = candidates[0]
        lead = hits[lead_rank]
        cites = Citations()
        lines = [_line(lead_unit, lead, cites)]
        if "list" in q.intents and not lead.chunk.columns:
            lines = [_line(u, lead, cites, bullet=True) for u in _units(lead)][:8]
        else:
            for score, rank, unit in candidates[1:]:
                if len(lines) > self.config.max_support or score < 0.6 * lead_score:
                    break
                lines.append(_line(unit, hits[rank], cites, bullet=True))
        commune = lead.chunk.commune
        head = render("answer_source", commune=commune) if commune else ""
        text = "\n".join([f"{head} {lines[0]}".strip(), *lines[1:]])
        return Answer(text, citations=cites.used())

    def _compose_several(self, q: Question, best: dict[str, Hit], scope: Scope) -> Answer:
        cites = Citations()
        lines = [render("several_sources", communes=", ".join(best))]
        for commune, hit in best.items():
            unit = max(_units(hit), key=lambda u: self._score_unit(q, u, scope))
            lines.append(f"- Xã {commune}: {_line(unit, hit, cites)}")
        return Answer("\n".join(lines), citations=cites.used())


@dataclass(frozen=True)
class Books:
    """What one scope may be answered from: its procedures, its duties and its places."""

    ids: frozenset[str]  # the documents it sees
    procedures: ProcedureAnswerer
    duties: DutyAnswerer
    places: tuple[list[str], dict[str, set[int]]]
    rarity: Rarity  # of the words of the passages it sees

    @classmethod
    def of(cls, searcher: Searcher, seen: list[IndexedDocument], config: AnswerConfig) -> Books:
        ids = frozenset(d.doc_id for d in seen)
        hidden = frozenset(d.doc_id for d in searcher.generation.documents) - ids
        return cls(
            ids,
            ProcedureAnswerer(searcher, exclude=hidden, config=config),
            DutyAnswerer(DutyTable(seen), config),
            _places(seen),
            Rarity.of(searcher, ids),
        )


def _books_by_scope(searcher: Searcher, config: AnswerConfig) -> dict[Scope, Books]:
    """Each scope's books (`retriever.scope.documents_for`): one set for all unless some
    documents are internal. Nothing of an internal document reaches a public answer, not even
    the name of its commune in a refusal."""
    books: dict[Scope, Books] = {}
    for scope in Scope:
        seen = documents_for(scope, searcher.generation.documents)
        ids = frozenset(d.doc_id for d in seen)
        same = next((b for b in books.values() if b.ids == ids), None)
        books[scope] = same or Books.of(searcher, seen, config)
    return books


class Rarity:
    """Inverse document frequency of every folded and plain syllable of the passages one
    scope sees, and the weight of a word they do not have: so the public's support scores
    do not depend on what internal documents say. The frequencies are the scope's BM25
    indexes' of those two views (`BM25.frequency`), which hold the same passages: a server
    does not read the passages' tokens, 16.6 million strings on the whole crawl."""

    def __init__(self, views: tuple[BM25, ...], passages: int):
        self.views = views  # each view counts on its own: a syllable without tone marks is in both
        self.n = max(1, passages)
        self.unknown = math.log(1 + self.n)

    @classmethod
    def of(cls, searcher: Searcher, ids: frozenset[str]) -> Rarity:
        """The rarity over the passages of the documents `ids`, which one scope sees
        (`documents_for`): that scope's indexes hold them."""
        documents = searcher.generation.documents
        scope = next(
            (s for s in Scope if ids == {d.doc_id for d in documents_for(s, documents)}), None
        )
        if scope is None:
            raise ValueError("no scope sees exactly these documents")
        views = tuple(searcher.lexical(v, scope) for v in ("bm25_folded", "bm25_syllables"))
        return cls(views, views[0].size)

    def weight(self, token: str) -> float:
        df = sum(view.frequency(token) for view in self.views)
        return math.log(1 + self.n / df) if df else self.unknown


def _words(q: Question) -> Words:
    """The question's content words (read once by `understand.Reader`)."""
    return q.words if q.words is not None else Words.of(q.text)


def _abstain(reason: str, support: float | None = None) -> Answer:
    text = render(f"abstain_{reason}", office=office())
    return Answer(text, abstained=True, reason=reason, support=support)


def _several_communes(q: Question, hits: list[Hit]) -> dict[str, Hit]:
    """Best hit per commune when the question names none and several plans answer alike."""
    if q.communes or q.commune_given:
        return {}
    best: dict[str, Hit] = {}
    for hit in hits:
        commune = hit.chunk.commune or ""
        if commune not in best and hit.score >= 0.85 * hits[0].score:
            best[commune] = hit
    return best if len(best) >= 2 else {}


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


def _line(unit: str, hit: Hit, cites: Citations, bullet: bool = False) -> str:
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


def _places(docs: list[IndexedDocument]) -> tuple[list[str], dict[str, set[int]]]:
    """The communes these documents cover, by name, and the years each commune's plans cover."""
    names = sorted({d.commune for d in docs if d.commune})
    return names, {fold(d.commune or ""): _years_covered(d) for d in docs if d.kind != "procedure"}


def _years_covered(document: IndexedDocument) -> set[int]:
    match = re.search(r"giai đoạn\s+(\d{4})\s*[-–]\s*(\d{4})", document.title)
    if match:
        return set(range(int(match.group(1)), int(match.group(2)) + 1))
    return {document.year} if document.year else set()


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
