"""Field-level answers about a procedure: "mấy ngày" is answered from the time lines of the
best-matching procedure, "giấy tờ gì" from its dossier, each line quoted and cited, then the
legal basis it rests on and the variants the asker may mean instead.

1. The procedure: retrieval hits grouped by national code; the best code wins, and the
   team's catalogue record is preferred over the portal's record of the same code.
2. The field: `Question.fields` (service.answer.understand.PROCEDURE_FIELDS); a question that
   names none gets the overview, the place and the time and fee lines.
3. Compose from the record's chunks (verbatim lines, `[n]` markers) through `prompts/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from corpus.vocabulary import PROCEDURE_NAME_FILLER
from ingest.procedure import FIELDS, Procedure, field_of
from ingest.records import Chunk
from ingest.textnorm import fold
from retriever import segment
from retriever.search import Hit, Searcher
from service.answer.lines import Lines
from service.answer.config import AnswerConfig
from corpus.situations import Situation
from service.answer.render import render
from service.answer.situations import CATALOGUE, Situations, folded_name
from service.answer.understand import Question
from service.answer.variants import VARIANTS_BOOK, Asked

# Question field → record fields whose lines answer it, in order.
ANSWER_FIELDS = {
    "fee": ("channels",),
    "time": ("channels",),
    "deadline": ("steps",),  # the asker's own deadline (`trong 10 ngày kể từ …`) opens the steps
    "online": ("overview", "channels"),
    "dossier": ("dossier",),
    "where": ("where", "overview"),
    "conditions": ("conditions",),
    "result": ("result",),
    "steps": ("steps",),
    "applicants": ("applicants",),
    "legal_basis": ("legal_basis",),
    "authority": ("overview", "result"),
    # The place too: `cán bộ có xuống nhà làm khai sinh không` is answered by `Tại nhà riêng…`
    # (eval/gold/procedures_holdout.jsonl: accuracy 0.940 → 0.960 with it, the dev set unchanged).
    "general": ("overview", "where", "channels"),
    "about": ("notes", "overview"),
}
# What a line that answers a field looks like wherever it sits (folded): `nộp hồ sơ ở đâu` is
# answered by a step that says `nộp hồ sơ tại Trung tâm Phục vụ hành chính công`, `bao lâu`
# by a note that says `trong thời hạn 03 ngày làm việc`.
_DAYS = r"\b\d+ (ngay|gio|thang)\b|ngay lam viec|trong ngay"
ANSWER_SHAPES = {
    field: re.compile(pattern)
    for field, pattern in {
        "where": r"trung tam phuc vu|bo phan (mot cua|tiep nhan)|nop (ho so )?(truc tiep )?tai|"
        r"bat ky|khong phu thuoc|noi (cu tru|thuong tru|tam tru)|cong an cap xa",
        "time": _DAYS,
        "deadline": _DAYS,
        "fee": r"\bdong\b|le phi|mien phi|\bphi\b",
        "authority": r"chu tich|\bquyet dinh\b|phe duyet|tham quyen",
        "online": r"truy cap|qua mang|cong dich vu cong|vneid|dinh danh (dien tu|quoc gia)|"
        r"truoc mat",
        "result": r"\b(cap|nhan|tra) (giay|ban|quyet dinh|ket qua)|ket qua",
    }.items()
}
_OVERVIEW_FOR = {  # the overview lines that answer a field, when the overview is used
    "online": ("Nộp trực tuyến",),
    "where": ("Cơ quan thực hiện", "Cơ quan có thẩm quyền"),
    "authority": ("Cơ quan có thẩm quyền", "Cơ quan thực hiện", "Kết quả"),
}
_ASIDE = re.compile(r"\([^)]*\)")
_FREE = re.compile(
    r"mien (phi|le phi)|khong (thu|mat|phai nop) (phi|le phi|tien)|\b0 dong|khong co phi"
)
_REFUND = re.compile(r"\b(tra lai|hoan (lai|tra)|lay lai) (tien|phi|le phi)|\bhoan (tien|phi)\b")
# A question that asks no field but whether one may or must (`mang ra xã chứng thực có được
# không`, `có phải nộp lại biển số không`) asks for the conditions.
_CAN_I = re.compile(r"\bduoc (khong|ko)\b|\bco phai\b.{0,60}\b(khong|ko)\b")
_VARIANT_CODE = re.compile(r"\(mã (\d+\.\d+)\)")
# The legal basis a citizen reads first: the law, then the decrees, then the circulars (the
# records list them in no order; `căn cứ theo luật nào` wants the law).
_LEGAL_RANKS = (r"(bo )?luat\b", r"nghi quyet\b", r"nghi dinh\b", r"quyet dinh\b", r"thong tu\b")
# Headings for the question fields that are not simply one record field.
_LABELS = {
    "fee": "Phí, lệ phí",
    "time": "Thời hạn giải quyết",
    "online": "Nộp trực tuyến",
    "general": "Thông tin chính",
    "authority": "Cơ quan có thẩm quyền",
    "about": "Giải thích",
    "about_it": "Thông tin liên quan đến câu hỏi",
}
MAX_LINES = 12  # a dossier list longer than this says how many more items the record has
MAX_SHOWN = 6  # the field's lines in the answer itself; the rest are in its details
MAX_LEAD = 1  # the likeliest lines of any field lead the answer (lines.py `Lines.order`)
MAX_SECOND = 3  # lines of the second field a question asks for
MAX_GENERAL = 3  # overview lines shown for a question that names no field
MAX_LEGAL = 3
MAX_EXTRA = 3  # lines from anywhere in the record that carry the question (lines.py)
MAX_VARIANTS = 3
# The portal's own lines of the asked field beside the team's record, when more than NOVEL of
# a line's words are not in the team's lines. On blind sets A–D (eval/reports/citizens.md,
# session 3): 3 lines at 0.25 gained 4 of 248 answers, 2 lines at 0.5 gained 1. Session 4, on
# A–E (310): 0.0 (any line the team's lines do not repeat word for word) answers 221 against
# 212 at 0.25 (10 gained, 1 lost), the median answer 20 characters longer.
MAX_OFFICIAL = 3
NOVEL = 0.0
# Fields (lĩnh vực) whose procedures a business or a public body files, not a citizen: 244 of
# the portal's 588 commune-level records (customs 124, tax 111, treasury 9). A citizen's
# question ranks them lower unless it speaks of their matters.
BUSINESS_FIELDS = frozenset(["hai quan", "thue", "kho bac nha nuoc"])
_BUSINESS_ASKED = re.compile(r"\b(thue|hai quan|kho bac|hoa don|bien lai|ngan sach|mien thue)")
# `… lần đầu đối với tổ chức đang sử dụng đất` beside `… đối với hộ gia đình, cá nhân`: a
# citizen asking about the land the grandparents left means the second.
_FOR_ORGANISATIONS = re.compile(r"\b(doi voi|cua|cho) to chuc\b(?! (va|hoac|,)? ?ca nhan)")
_ORGANISATION_ASKED = re.compile(r"\b(to_chuc|cong_ty|doanh_nghiep|hop_tac|co_quan)\b")
MAX_SPECIFIC = 5  # choices looked at for a more specific name than the first's
SPECIFIC_WITHIN = 0.8  # … among those scoring at least this share of the first
MAX_FAMILY = 4  # other procedures of a life situation, in the details


@dataclass(frozen=True)
class Choice:
    code: str
    doc_id: str
    name: str
    score: float


class ProcedureAnswerer:
    """The procedure records of one loaded index, by code and by field."""

    def __init__(
        self,
        searcher: Searcher,
        exclude: frozenset[str] = frozenset(),
        config: AnswerConfig = AnswerConfig(),
    ):
        """`exclude`: documents this answerer must never answer from (internal ones, for the
        public)."""
        self.config = config
        self.chunks: dict[str, dict[str, list[Chunk]]] = {}
        for c in searcher.chunks:
            if c.kind == "procedure" and c.doc_id not in exclude:
                self.chunks.setdefault(c.doc_id, {}).setdefault(field_of(c) or "", []).append(c)
        self.records: dict[str, Procedure] = {}
        self.preferred: dict[str, str] = {}  # code → doc_id (catalogue over portal over list)
        # Keyed by a record's origin, which may be missing: then it ranks last (3).
        rank: dict[str | None, int] = {"catalogue": 0, "portal": 1, "list": 2}
        for d in searcher.generation.documents:
            record = d.procedure
            if record is None or d.doc_id in exclude:
                continue
            self.records[d.doc_id] = record
            current = self.preferred.get(record.code)
            if current is None or rank.get(record.origin, 3) < rank.get(
                self.records[current].origin, 3
            ):
                self.preferred[record.code] = d.doc_id
        # code → its records, the preferred one first (the lines that carry a question are
        # sought in all of them)
        self.by_code: dict[str, list[str]] = {}
        for doc_id in sorted(self.records, key=lambda d: rank.get(self.records[d].origin, 3)):
            self.by_code.setdefault(self.records[doc_id].code, []).append(doc_id)
        self._lines: dict[str, Lines] = {}  # code → its lines, tokenised on first use
        # code → the preferred record's name, folded (for the life situations' families)
        self.names = {c: folded_name(self.records[d].name) for c, d in self.preferred.items()}
        self.kinds = {
            c: VARIANTS_BOOK.of_name(self.records[d].name) for c, d in self.preferred.items()
        }

    def __bool__(self) -> bool:
        return bool(self.records)

    def code_of(self, chunk: Chunk) -> str | None:
        return self.code_of_doc(chunk.doc_id)

    def code_of_doc(self, doc_id: str) -> str | None:
        record = self.records.get(doc_id)
        return record.code if record else None

    def url_of_doc(self, doc_id: str) -> str | None:
        """The record's page on the national portal, when it has one."""
        record = self.records.get(doc_id)
        return record.source_url if record else None

    def choose(
        self,
        hits: list[Hit],
        query_tokens: set[str] | frozenset[str] = frozenset(),
        situations: tuple[Situation, ...] = (),
        folded: str = "",
    ) -> list[Choice]:
        """Procedures among the hits, best first, one per code. A hit on a record's list of
        related procedures speaks for those, not for the record, so it counts less; a
        procedure whose name the question (with its lexicon wording) spells out counts more,
        and so does one of the family of a life situation the question speaks of, and one
        whose variant (`đăng ký lại`, `cấp đổi`, `dưới 14 tuổi`) the question's `folded` words
        ask for (service/answer/variants.py)."""
        best: dict[str, Choice] = {}
        for hit in hits:
            code = self.code_of(hit.chunk)
            if not code:
                continue
            score = hit.score
            if field_of(hit.chunk) == "variants":
                code, score = (
                    self._variant_meant(hit, code, query_tokens),
                    score * self.config.variants_discount,
                )
            if code not in best or score > best[code].score:
                doc_id = self.preferred[code]
                best[code] = Choice(code, doc_id, self.records[doc_id].name, score)
        asked = VARIANTS_BOOK.asked(folded) if folded else None
        if query_tokens:
            best = {
                code: replace(
                    c, score=c.score + self.config.name_weight * self._named(c, query_tokens, asked)
                )
                for code, c in best.items()
            }
        best = self._for_citizens(best, query_tokens)
        if asked is not None:
            weight = self.config.variant_weight
            best = {
                code: replace(
                    c, score=c.score + weight * VARIANTS_BOOK.agreement(self.kinds[code], asked)
                )
                for code, c in best.items()
            }
        if situations:
            best = {
                code: replace(c, score=c.score + self.config.situation_weight)
                if any(Situations.holds(s, self.names[code]) for s in situations)
                else c
                for code, c in best.items()
            }
        return _more_specific(sorted(best.values(), key=lambda c: -c.score), query_tokens)

    def _named(self, c: Choice, tokens: set[str] | frozenset[str], asked: Asked | None) -> float:
        """How fully the question spells the name (`_name_coverage`); for a variant the
        question asks for, its name without the variant words will do (`Gia hạn tạm trú` is
        spelled by `tạm trú sắp hết hạn, xin thêm thời hạn`)."""
        named = _name_coverage(c.name, tokens, self.config.specific_weight)
        if asked is None or VARIANTS_BOOK.agreement(self.kinds[c.code], asked) <= 0:
            return named
        base = VARIANTS_BOOK.base(c.name)
        return max(named, _name_coverage(base, tokens, self.config.specific_weight) if base else 0)

    def _for_citizens(
        self, best: dict[str, Choice], query_tokens: set[str] | frozenset[str]
    ) -> dict[str, Choice]:
        """Procedures a business, a public body or an organisation files rank lower unless
        the question speaks of their matters."""
        asked = " ".join(sorted(query_tokens))
        business = not _BUSINESS_ASKED.search(asked)
        organisation = not _ORGANISATION_ASKED.search(asked)

        def discounted(c: Choice) -> bool:
            record = self.records[c.doc_id]
            return (business and fold(record.field).lower() in BUSINESS_FIELDS) or (
                organisation and bool(_FOR_ORGANISATIONS.search(fold(record.name).lower()))
            )

        factor = self.config.business_discount
        return {
            code: replace(c, score=c.score * factor) if discounted(c) else c
            for code, c in best.items()
        }

    def named(self, code: str, query: str) -> float:
        """How much of the procedure's name the query spells (`_name_coverage`), 0 when the
        code is not in the book."""
        doc_id = self.preferred.get(code)
        if doc_id is None:
            return 0.0
        tokens = set(segment.folded(query))
        return _name_coverage(self.records[doc_id].name, tokens, self.config.specific_weight)

    def members(self, situation: Situation) -> list[str]:
        """The codes of the procedures of a situation's family, in code order."""
        return sorted(c for c, name in self.names.items() if Situations.holds(situation, name))

    def _variant_meant(self, hit: Hit, code: str, query_tokens: set[str] | frozenset[str]) -> str:
        """The related procedure whose line in the list matches the question best (`chồng tôi
        người Hàn Quốc` → the one with a foreign element); the record itself when none matches
        more of the question than the record's own name does (`thông báo lưu trú là gì, khác
        đăng ký tạm trú chỗ nào` is about the record that lists `Đăng ký tạm trú`)."""
        own = self.records[self.preferred[code]].name
        best, best_found = (
            code,
            max(1, len(query_tokens & {t for t in segment.folded(own) if "_" in t})),
        )
        for line in hit.chunk.text.split("\n"):
            match = _VARIANT_CODE.search(line)
            if not match or match.group(1) not in self.preferred or not query_tokens:
                continue
            found = len(query_tokens & {t for t in segment.folded(line) if "_" in t})
            if found > best_found:
                best, best_found = match.group(1), found
        return best

    def lines_for(self, choice: Choice, field: str) -> list[tuple[Chunk, str]]:
        """(chunk, verbatim line) pairs that answer `field` for the chosen procedure."""
        out: list[tuple[Chunk, str]] = []
        for key in ANSWER_FIELDS.get(field, ("overview",)):
            wanted = _OVERVIEW_FOR.get(field) if key == "overview" else None
            for c, line in self.field_lines(choice, key):
                if key == "overview" and line.startswith(choice.name):
                    continue  # the name line: the heading says it already
                if not wanted or line.startswith(wanted):
                    out.append((c, line))
            if out and key != "overview" and field in _OVERVIEW_FOR:
                break  # `where`: the record's own place lines suffice
        return out

    def matching_lines(
        self, choice: Choice, q: Question, field: str, exclude: set[str]
    ) -> list[tuple[Chunk, str]]:
        """The lines, in any field of any record of the chosen procedure (the portal's too
        when the team's record is preferred), that carry the question best
        (`service.answer.lines`): `gia hạn trước bao nhiêu ngày` is answered by a note,
        `ông bà có được đi khai sinh cho cháu không` by a line of the steps."""
        asked = {key for f in (q.fields or (field,)) for key in ANSWER_FIELDS.get(f, ())}
        book = self._book(choice)
        shape = ANSWER_SHAPES.get(q.fields[0] if q.fields else field)
        ranked = book.rank(q.expanded, asked, choice.name, shape, typed=q.text)
        top = [book.pairs[i] for _, i in ranked[:MAX_EXTRA]]
        return [(c, line) for c, line in top if line not in exclude]

    def ranked_lines(self, choice: Choice, q: Question, field: str) -> list[tuple[Chunk, str]]:
        """Every line of every record of the chosen procedure (the portal's too when the
        team's record is preferred), the likeliest answer first (`service.answer.lines`), each
        wording once: `gia hạn trước bao nhiêu ngày` is answered by a note, `ông bà có được đi
        khai sinh cho cháu không` by a line of the steps."""
        first = set(ANSWER_FIELDS.get(field, ()))
        asked = {key for f in (q.fields or (field,)) for key in ANSWER_FIELDS.get(f, ())}
        book = self._book(choice)
        shape = ANSWER_SHAPES.get(field)
        order = book.order(q.expanded, first, asked, choice.name, shape, typed=q.text)
        seen: set[str] = set()
        out = []
        for _, i in order:
            chunk, line = book.pairs[i]
            said = _said(line)
            if said not in seen:
                seen.add(said)
                out.append((chunk, line))
        return out

    def _book(self, choice: Choice) -> Lines:
        """The chosen procedure's lines (`_all_lines`), tokenised once per code."""
        book = self._lines.get(choice.code)
        if book is None:
            book = self._lines[choice.code] = self._all_lines(choice)
        return book

    def _all_lines(self, choice: Choice) -> Lines:
        """Every line of every record of the chosen procedure but its related ones and its
        name line, with its field, whether the portal words it and its place in its field."""
        pairs, fields, portal, positions = [], [], [], []
        for doc_id in self.by_code.get(choice.code, [choice.doc_id]):
            origin = self.records[doc_id].origin == "portal"
            for key, chunks in self.chunks.get(doc_id, {}).items():
                if key == "variants":
                    continue
                place = 0
                for c in chunks:
                    for line in c.text.split("\n"):
                        if line.strip() and not line.startswith(choice.name):
                            pairs.append((c, line))
                            fields.append(key)
                            portal.append(origin)
                            positions.append(place)
                            place += 1
        return Lines(pairs, fields, portal, positions)

    def field_lines(self, choice: Choice, key: str) -> list[tuple[Chunk, str]]:
        """(chunk, verbatim line) pairs of one field of the chosen record, in order."""
        return [
            (c, line)
            for c in self.chunks.get(choice.doc_id, {}).get(key, [])
            for line in c.text.split("\n")
            if line.strip()
        ]

    def compose(
        self,
        q: Question,
        query: str,
        hits: list[Hit],
        number: Callable[[Hit], int],
        situations: tuple[Situation, ...] = (),
    ) -> tuple[str, str] | None:
        """The answer for the best procedure, and its details (`Answer.details`); None when no
        procedure is among the hits. The answer is what a phone shows: "Có."/"Không." for a
        yes/no question the record settles, the field's first lines and the record's other
        lines that carry the question; the details hold the rest of the field, the legal
        basis and the procedures the asker may mean instead."""
        choices = self.choose(hits, set(segment.folded(query)), situations, q.folded)
        if not choices:
            return None
        choice = choices[0]
        score = {h.chunk.id: h.score for h in hits}

        def bullets(pairs: list[tuple[Chunk, str]]) -> list[str]:
            return [
                f"- {line.removeprefix('- ')} [{number(Hit(c, score.get(c.id, choice.score)))}]"
                for c, line in pairs
            ]

        field, pairs = self._asked_field(q, choice)
        label = _LABELS["about_it"] if field == "general" else _LABELS.get(field)
        head = render(
            "procedure_field",
            procedure=choice.name,
            code=choice.code,
            field=label or FIELDS[ANSWER_FIELDS[field][0]],
        )
        verdict = _verdict(q, field, [line for _, line in pairs])
        shown = self._shown(q, choice, field, pairs)
        out = [f"{verdict} {head}".strip(), *bullets(shown)]
        rest = [pair for pair in pairs if pair not in shown]
        more = bullets(rest[:MAX_LINES])
        if len(rest) > MAX_LINES:
            more.append(render("procedure_more", count=str(len(rest) - MAX_LINES)))
        around = self._around(choice, choices, field, bullets) + self._family(choice, situations)
        return "\n".join(out), "\n".join(more + around)

    def _shown(
        self, q: Question, choice: Choice, field: str, pairs: list[tuple[Chunk, str]]
    ) -> list[tuple[Chunk, str]]:
        """The lines the answer shows, the likeliest answer first (`ranked_lines`): the
        field's first lines, the portal's wording of them, a second field asked, the lines of
        the record that carry the question and the likeliest line of any field. One list
        without sub-headings (each line cites its record): on blind sets A–F (session 5) as
        many right answers as the headed blocks (280 of 372), 150–250 characters shorter."""
        ranked = self.ranked_lines(choice, q, field)
        first = pairs[: MAX_GENERAL if field == "general" else MAX_SHOWN]
        lines = [*ranked[:MAX_LEAD], *first]
        lines += self.matching_lines(choice, q, field, {line for _, line in first})
        if field != "general":
            lines += self._official(choice, field, first)
            lines += self._second_field(q, choice, field, first)
        place = {_said(line): i for i, (_, line) in enumerate(ranked)}
        unique = list(dict.fromkeys(lines))
        return sorted(unique, key=lambda p: place.get(_said(p[1]), len(place)))

    def _official(
        self, choice: Choice, field: str, shown: list[tuple[Chunk, str]]
    ) -> list[tuple[Chunk, str]]:
        """The portal's lines of the asked field that say what the team's record, shown,
        does not (most of their words are not in it): the national portal's own wording."""
        others = [
            d for d in self.by_code.get(choice.code, []) if self.records[d].origin == "portal"
        ]
        if not others or self.records[choice.doc_id].origin != "catalogue":
            return []
        said = {t for _, line in shown for t in segment.folded(line) if "_" not in t}
        novel = []
        for c, line in self.lines_for(replace(choice, doc_id=others[0]), field):
            words = {t for t in segment.folded(line) if "_" not in t}
            if words and len(words - said) > NOVEL * len(words):
                novel.append((c, line))
        return novel[:MAX_OFFICIAL]

    def _asked_field(self, q: Question, choice: Choice) -> tuple[str, list[tuple[Chunk, str]]]:
        """The field the question asks for first and its lines (a legal basis, the law
        first); the overview when the record has none of that field."""
        field = q.fields[0] if q.fields else "conditions" if _CAN_I.search(q.folded) else "general"
        pairs = self.lines_for(choice, field)
        if not pairs and field != "general":
            field, pairs = "general", self.lines_for(choice, "general")
        if field == "legal_basis":
            pairs = sorted(pairs, key=lambda pair: _legal_rank(pair[1]))
        return field, pairs

    def _second_field(
        self, q: Question, choice: Choice, first: str, shown: list[tuple[Chunk, str]]
    ) -> list[tuple[Chunk, str]]:
        """The first lines of the second field a question asks for (`mất mấy ngày, được giấy
        gì`), when its lines are others than the first's."""
        asked = [f for f in q.fields[1:] if ANSWER_FIELDS.get(f) != ANSWER_FIELDS.get(first)]
        if not asked or first == "general":
            return []
        return [p for p in self.lines_for(choice, asked[0]) if p not in shown][:MAX_SECOND]

    def _family(self, choice: Choice, situations: tuple[Situation, ...]) -> list[str]:
        """The other procedures of the situations the question speaks of, and of those
        usually done with them (a birth: residence, the child's health insurance card)."""
        out = []
        related = [CATALOGUE.by_name[r] for s in situations[:2] for r in s.related]
        for situation in dict.fromkeys([*situations[:2], *related]):
            codes = [c for c in self.members(situation) if c != choice.code][:MAX_FAMILY]
            if codes:
                names = "; ".join(f"{self.records[self.preferred[c]].name} (mã {c})" for c in codes)
                out.append(render("procedure_family", situation=situation.name, names=names))
        return out

    def _around(
        self,
        choice: Choice,
        choices: list[Choice],
        field: str,
        bullets: Callable[[list[tuple[Chunk, str]]], list[str]],
    ) -> list[str]:
        """The legal basis of the chosen procedure, and the ones the asker may mean instead."""
        out = []
        laws = self.field_lines(choice, "legal_basis") if field != "legal_basis" else []
        if laws:
            out += [render("procedure_legal"), *bullets(laws[:MAX_LEGAL])]
        variants = self.field_lines(choice, "variants")
        others = [c for c in choices[1:] if c.score >= 0.9 * choice.score][:2]
        if variants:
            out += [render("procedure_variants"), *bullets(variants[:MAX_VARIANTS])]
        elif others:
            names = "; ".join(f"{c.name} (mã {c.code})" for c in others)
            out.append(render("procedure_others", names=names))
        return out


def _verdict(q: Question, field: str, lines: list[str]) -> str:
    """ "Có." or "Không." for a yes/no question about the fee or about filing online, when
    every line of the record says the same; "" otherwise. `có mất phí không` is answered
    "Có." for a fee, `có được miễn phí không` "Có." for none."""
    if "yes_no" not in q.intents or not lines:
        return ""
    if field == "online":  # the record's own line: `Nộp trực tuyến: Trực tuyến một phần`
        said = [line for line in lines if line.startswith(_LABELS["online"])]
        if not said:
            return ""
        yes = not re.search(r"\bkhong\b", fold(said[0]))
    elif field == "fee":
        if _REFUND.search(q.folded):  # `có được trả lại tiền không` is not `có mất phí không`
            return ""
        free = {bool(_FREE.search(fold(line))) for line in lines}
        if len(free) > 1:
            return ""
        yes = free == {True} if re.search(r"\bmien\b", q.folded) else free == {False}
    else:
        return ""
    return "Có." if yes else "Không."


def _said(line: str) -> str:
    """What a line says, without its bullet: the same wording in two records is one line."""
    return line.removeprefix("- ").strip()


def _legal_rank(line: str) -> int:
    """The rank of a legal basis line's document: a law 0 … a circular 4, anything else 5."""
    start = fold(line.removeprefix("- ")).lower()
    return next((i for i, kind in enumerate(_LEGAL_RANKS) if re.match(kind, start)), 5)


def _more_specific(choices: list[Choice], tokens: set[str] | frozenset[str]) -> list[Choice]:
    """The first choice gives way to a close one whose name is its name and more, when the
    question has every further syllable and pair of that name: `Đăng ký khai sinh` to
    `Đăng ký khai sinh lưu động` for `cán bộ xuống tận nơi` (the lexicon's `lưu động`),
    `Đăng ký giám hộ` to `… chấm dứt giám hộ` for `không làm giám hộ nữa`."""
    if len(choices) < 2:
        return choices
    first = choices[0]
    own = {t for t in _name_tokens(first.name) if "_" not in t}
    for i, other in enumerate(choices[1:MAX_SPECIFIC], start=1):
        if other.score < SPECIFIC_WITHIN * first.score:
            break
        theirs = _name_tokens(other.name)
        further = {t for t in theirs if "_" not in t} - own
        if not further or not own <= theirs:
            continue
        wanted = {t for t in theirs if set(t.split("_")) <= further}
        # One syllable (`lại`) is a common word: it counts beside a neighbour (`ký lại`).
        beside = {t for t in theirs if "_" in t and set(t.split("_")) & further}
        if wanted <= tokens and (len(further) > 1 or beside & tokens):
            return [other, *choices[:i], *choices[i + 1 :]]
    return choices


def _name_tokens(name: str) -> set[str]:
    """A procedure name's folded syllables and pairs, without `Thủ tục` and bracketed asides."""
    folded = segment.folded(_ASIDE.sub(" ", name))
    return {t for t in folded if not set(t.split("_")) & PROCEDURE_NAME_FILLER}


def _name_coverage(name: str, tokens: set[str] | frozenset[str], specific_weight: float) -> float:
    """How fully the query spells out the procedure's name (folded, without `Thủ tục` and
    its bracketed asides): the share of the name's syllables in the query,
    averaged with the share of its adjacent pairs, so `chứng thực chữ ký` covers `Chứng thực
    chữ ký (kể cả điểm chỉ…)` and not `Chứng thực di chúc`. A name whose every syllable the
    question has, in any order, earns a little per syllable, so the most specific name the
    question spells out wins (`… có yếu tố nước ngoài` over `Đăng ký khai sinh`; `giấy đăng
    ký kết hôn bị mất, đăng ký lại` → `Đăng ký lại kết hôn`)."""
    folded = segment.folded(_ASIDE.sub(" ", name))
    words = [t for t in folded if "_" not in t and t not in PROCEDURE_NAME_FILLER]
    pairs = [t for t in folded if "_" in t and not set(t.split("_")) & PROCEDURE_NAME_FILLER]
    if not words:
        return 0.0
    spelled = sum(1 for t in words if t in tokens) / len(words)
    share = spelled
    if pairs:
        share = 0.5 * share + 0.5 * sum(1 for t in pairs if t in tokens) / len(pairs)
    return share + (specific_weight * len(words) if spelled == 1.0 else 0.0)
