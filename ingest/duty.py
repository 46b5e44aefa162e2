"""Duties (nhiệm vụ) of a plan: who must do what, by when, each quoting its source verbatim.

"Phòng Văn hóa - Xã hội phải làm gì trong quý II?" is a question about records, not
passages: it needs every duty of a plan with its lead unit and due date. Plans state duties
in two ways, and `extract_duties` reads both from the cleaned document:

- appendix tables (`origin="table"`): one duty per row. The three seed tables order their
  columns differently, so columns are mapped by the words of their header; PDF extraction
  breaks rows across pages, puts a row's later cells on the line before its task, and drops
  trailing cells, so rows are re-assembled first (`_Row`);
- prose (`origin="prose"`): `Giao <đơn vị> …` bullets, `<Đơn vị> tham mưu …` bullets,
  `Cơ quan thực hiện` blocks (`- Chủ trì: X` / `- Phối hợp: Y`, one duty for the area they
  close) and the per-unit sections of `TỔ CHỨC THỰC HIỆN` (each bullet under `1. Phòng Văn
  hóa - Xã hội` is that unit's duty). Prose we cannot attribute to a unit is left out.

What counts as one row, how deadlines map to dates and the canonical unit names follow the
team's conventions (eval/gold/duty-conventions.md); `ingest.deadline` and `ingest.units` hold
the last two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.clean import CELL_SEP, MARKER
from ingest.deadline import Deadline, find_deadline, parse_deadline
from ingest.records import Document, Line, content_id
from ingest.structure import heading_kind, push_heading
from ingest.textnorm import fold
from ingest.units import canonical_unit, looks_like_unit, split_units

SECTION_SEP = " › "
# Raise when extraction changes: an index re-extracts the duties of plans it already holds.
VERSION = 2


@dataclass(frozen=True)
class Duty:
    id: str  # content_id(doc_id, str(start), text)
    doc_id: str
    commune: str | None
    plan_title: str
    plan_year: int | None
    area: str | None  # group row or heading area, e.g. "Cải cách thủ tục hành chính"
    task: str
    product: str | None
    leads: tuple[str, ...]  # canonical unit names
    partners: tuple[str, ...]  # canonical unit names
    monitor: str | None
    leader: str | None
    deadline_text: str | None
    due_date: str | None  # ISO date
    recurrence: str | None
    section: str  # "PHỤ LỤC › III. Cải cách TTHC › TT 9", or the heading path of prose
    text: str  # verbatim: document.text[start:end]
    start: int
    end: int
    origin: str  # "table" | "prose"
    lead_text: str | None = None  # the lead cell as the plan writes it (`Trung tâm Phục vụ HCC`)

    def to_json(self) -> dict:
        """The contract's shape (`lead` is the leads joined by "; "), plus extras."""
        return {
            "id": self.id,
            "commune": self.commune,
            "plan_title": self.plan_title,
            "task": self.task,
            "product": self.product,
            "lead": "; ".join(self.leads),
            "partners": list(self.partners),
            "monitor": self.monitor,
            "leader": self.leader,
            "deadline_text": self.deadline_text,
            "due_date": self.due_date,
            "source": {"doc_id": self.doc_id, "section": self.section, "text": self.text},
            "area": self.area,
            "recurrence": self.recurrence,
            "leads": list(self.leads),
            "origin": self.origin,
            "plan_year": self.plan_year,
            "start": self.start,
            "end": self.end,
            "lead_text": self.lead_text,
        }

    @classmethod
    def from_json(cls, data: dict) -> Duty:
        source = data["source"]
        leads = data.get("leads")
        if leads is None:
            leads = [part for part in (data.get("lead") or "").split("; ") if part]
        return cls(
            id=data["id"],
            doc_id=source["doc_id"],
            commune=data.get("commune"),
            plan_title=data.get("plan_title") or "",
            plan_year=data.get("plan_year"),
            area=data.get("area"),
            task=data["task"],
            product=data.get("product"),
            leads=tuple(leads),
            partners=tuple(data.get("partners") or ()),
            monitor=data.get("monitor"),
            leader=data.get("leader"),
            deadline_text=data.get("deadline_text"),
            due_date=data.get("due_date"),
            recurrence=data.get("recurrence"),
            section=source.get("section") or "",
            text=source["text"],
            start=data.get("start", 0),
            end=data.get("end", 0),
            origin=data.get("origin") or "table",
            lead_text=data.get("lead_text"),
        )


def extract_duties(doc: Document) -> list[Duty]:
    """Every duty of a cleaned plan, tables and prose, in document order."""
    spans = _spans(doc)
    duties = _table_duties(doc, spans) + _prose_duties(doc, spans)
    return sorted(duties, key=lambda d: (d.start, d.origin))


# ---------------------------------------------------------------- shared helpers

_Span = tuple[Line, int, int]  # a line with its offsets in doc.text


def _spans(doc: Document) -> list[_Span]:
    spans, offset = [], 0
    for line in doc.lines:
        spans.append((line, offset, offset + len(line.text)))
        offset += len(line.text) + 1
    return spans


def _units(text: str | None) -> tuple[str, ...]:
    """Canonical names of the units a cell or phrase names, without repeats."""
    names = [canonical_unit(part) for part in split_units(text or "")]
    return tuple(dict.fromkeys(name for name in names if name))


def _tidy(text: str | None) -> str | None:
    text = re.sub(r"\s+", " ", text or "").strip(" ,;")
    return text or None


def _make(doc: Document, start: int, end: int, **fields) -> Duty:
    text = doc.text[start:end]
    deadline: Deadline | None = fields.pop("deadline")
    leads, partners = fields.pop("leads"), fields.pop("partners")
    return Duty(
        id=content_id(doc.doc_id, str(start), text),
        doc_id=doc.doc_id,
        commune=doc.commune,
        plan_title=doc.title,
        plan_year=doc.year,
        leads=leads,
        partners=partners,
        deadline_text=deadline.text if deadline else None,
        due_date=deadline.due.isoformat() if deadline and deadline.due else None,
        recurrence=deadline.recurrence if deadline else None,
        text=text,
        start=start,
        end=end,
        **fields,
    )


# ---------------------------------------------------------------- tables

# Column role ← words its header holds (folded), tried in this order: "Lãnh đạo UBND xã chủ
# trì" is the leader, not the lead unit; "Nội dung/sản phẩm" the product, not the task.
_COLUMNS = (
    ("leader", ("lanh dao",)),
    ("monitor", ("theo doi",)),
    ("partners", ("phoi hop",)),
    ("lead", ("chu tri",)),
    ("deadline", ("thoi gian", "thoi han")),
    ("product", ("san pham",)),
    ("task", ("nhiem vu", "noi dung")),
)
_NUMBER_HEADERS = {"tt", "stt", "so tt", "so thu tu"}
_ROMAN = re.compile(r"^[IVXL]+\.?$")


@dataclass
class _Row:
    """A table row being re-assembled from the cleaned lines that hold its pieces."""

    cells: dict[str, str]  # role → text
    start: int
    end: int
    width: int  # how many columns the line filled, from the left (trailing cells may be missing)
    area: str | None
    group: str | None  # "III. Cải cách TTHC"
    title: str  # the appendix heading above the table
    table: int  # which table of the document

    def get(self, role: str) -> str:
        return self.cells.get(role, "")


def _header_roles(cells: list[str]) -> tuple[str | None, ...] | None:
    """The role of each column if these cells are a header row, else None."""
    roles: list[str | None] = []
    for cell in cells:
        folded = re.sub(r"\s+", " ", fold(cell)).strip()
        role = "number" if folded in _NUMBER_HEADERS else None
        for name, words in _COLUMNS:
            if role is None and any(word in folded for word in words):
                role = name
        roles.append(role)
    return tuple(roles) if "task" in roles and "lead" in roles else None


def _is_deadline(cell: str) -> bool:
    """Whether a cell reads as a deadline (used to align a row that lost a cell)."""
    found = parse_deadline(cell, None)
    return bool(found.due or found.recurrence) or fold(cell).startswith(
        ("theo ", "sau ", "khi co ", "tu phat hien")
    )


def _align(cells: list[str], roles: tuple[str | None, ...]) -> tuple[dict[str, str], int]:
    """Map a row's cells to roles. A row with fewer cells than the header lost either its
    trailing cells (align left) or a leading one (the deadline cell sits one column early)."""
    shift, missing = 0, len(roles) - len(cells)
    if missing > 0 and "deadline" in roles:
        d = roles.index("deadline")
        left = d < len(cells) and _is_deadline(cells[d])
        if not left and 0 <= d - missing < len(cells) and _is_deadline(cells[d - missing]):
            shift = missing
    mapped = {}
    for i, cell in enumerate(cells[: len(roles) - shift]):
        role = roles[i + shift]
        if role and cell:
            mapped[role] = cell
    return mapped, min(len(cells) + shift, len(roles))


def _table_duties(doc: Document, spans: list[_Span]) -> list[Duty]:
    rows: list[_Row] = []
    roles: tuple[str | None, ...] | None = None
    title, area, group, tables = "Phụ lục", None, None, 0
    for line, start, end in spans:
        if not line.is_row:
            roles = None  # prose ends a table
            if _is_caps(line.text):
                title = line.text
            continue
        cells = [cell.strip() for cell in line.text.split(CELL_SEP)]
        header = _header_roles(cells)
        if header:
            if header != roles:
                roles, area, group, tables = header, None, None, tables + 1
            continue  # a repeated header is not a row
        if roles is None:
            continue
        if _ROMAN.match(cells[0]) and len(cells) > 1 and cells[1]:
            area, group = cells[1], f"{cells[0].rstrip('.')}. {cells[1]}"
            continue
        mapped, width = _align(cells, roles)
        _add_row(rows, _Row(mapped, start, end, width, area, group, title, tables), roles)
    return _finish_rows(doc, rows)


def _add_row(rows: list[_Row], row: _Row, roles: tuple[str | None, ...]) -> None:
    """Append a row, or merge it into the row above when it is only a piece of that row."""
    previous = rows[-1] if rows and rows[-1].table == row.table else None
    number, task = row.get("number"), row.get("task")
    rest = {role for role in row.cells if role not in ("number", "task")}
    # A row of its own has a number, a task, or a product, deadline or lead that starts
    # afresh; text that starts in lower case finishes a cell of the row above.
    own = [row.cells[role] for role in rest & {"product", "deadline", "lead"}]
    piece = task[:1].islower() if task else all(text[:1].islower() for text in own)
    if previous and not number and piece:
        _merge_fragment(previous, row, roles)
    elif (
        previous
        and (number or task)
        and not rest
        and not previous.get("task")
        and not previous.get("number")
    ):
        # Quảng Sơn: the PDF put this row's product/deadline/lead on the line before its task.
        previous.cells.update(row.cells)
        previous.end = row.end
    else:
        rows.append(row)


def _merge_fragment(previous: _Row, fragment: _Row, roles: tuple[str | None, ...]) -> None:
    """A page break split a row: finish its cells with the fragment's text. A lone cell after
    a row that lacked its trailing cells is the first missing one (Quảng Sơn VI.7's monitor)."""
    missing = roles[previous.width] if previous.width < len(roles) else None
    if len(fragment.cells) == 1 and missing:
        previous.cells[missing] = next(iter(fragment.cells.values()))
        previous.width += 1
    else:
        for role, text in fragment.cells.items():
            before = previous.cells.get(role)
            previous.cells[role] = f"{before} {text}" if before else text
    previous.end = fragment.end


def _finish_rows(doc: Document, rows: list[_Row]) -> list[Duty]:
    """Rows → duties; a row without a task of its own continues the task above it."""
    duties, above_task, above_number, table = [], "", "", 0
    for row in rows:
        if row.table != table:
            above_task, above_number, table = "", "", row.table
        task, number = row.get("task"), row.get("number").rstrip(".")
        if not task:
            task, number = above_task, number or above_number
        above_task, above_number = task, number
        deadline_cell = _tidy(row.get("deadline"))
        path = (
            [row.title] + ([row.group] if row.group else []) + ([f"TT {number}"] if number else [])
        )
        duties.append(
            _make(
                doc,
                row.start,
                row.end,
                area=row.area,
                task=_tidy(task) or "",
                product=_tidy(row.get("product")),
                leads=_units(row.get("lead")),
                lead_text=_tidy(row.get("lead")),
                partners=_units(row.get("partners")),
                monitor="; ".join(_units(row.get("monitor"))) or None,
                leader=_tidy(row.get("leader")),
                deadline=parse_deadline(deadline_cell, doc.year) if deadline_cell else None,
                section=SECTION_SEP.join(path),
                origin="table",
            )
        )
    return duties


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


# ---------------------------------------------------------------- prose

_MARKER = re.compile(r"^(?:(?:(?:\d{1,2}\.)+|[a-zđ]\)|[-+•*–])\s*)+")  # also `- + …`
_VERB = (
    r"(?:tham mưu|chủ trì|phối hợp|thực hiện|triển khai|thường xuyên|theo dõi|xây dựng|tổ chức|"
    r"có trách nhiệm|chịu trách nhiệm|rà soát|hướng dẫn|đôn đốc|cập nhật)\b"
)
_GIAO = re.compile(r"^Giao\s+(?P<unit>\S.{0,80}?)\s+" + _VERB)
# `<Unit> tham mưu …`: only a specific unit as the subject; `Các cơ quan, đơn vị …` is everyone.
_SUBJECT = re.compile(r"^(?P<unit>(?:Phòng|Văn phòng|Trung tâm|Công an|Điểm)\s.{0,80}?)\s+" + _VERB)
_PARTNER = re.compile(r"\bphối hợp với\s+", re.IGNORECASE)
_PARTNER_END = re.compile(
    r"\s+(?:tham mưu|triển khai|tổ chức|thực hiện|nghiên cứu|xây dựng|tăng cường|cập nhật|"
    r"đẩy mạnh|trong|để|nhằm|theo|tuyên truyền|hướng dẫn|giải quyết|rà soát|đề xuất|kiểm tra|"
    r"cung cấp)\b|[.;:]"
)
_BLOCK = re.compile(r"^co quan(?:, nguoi)?(?: chu tri)? thuc hien$")  # folded heading
_ROLE = re.compile(r"^(?P<role>Chủ trì|Phối hợp)\s*:\s*(?P<units>.+)$")
_UNIT_PREFIX = re.compile(r"^(?:Trách nhiệm của\s+|Đề nghị\s+|Thủ trưởng\s+|Trưởng\s+)+")
_INLINE_UNIT = re.compile(r"^\d{1,2}\.\s+(?P<unit>[^:]{3,120}?):\s+(?P<task>\S.*)$", re.DOTALL)
_CLOSING = re.compile(r"^(?:Nơi nhận|Trên đây)")
_MAX_UNIT_WORDS = 16


@dataclass
class _Item:
    """A paragraph of prose: one line, plus the lines that only continue its sentence."""

    start: int
    end: int
    first: Line
    lines: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        """The text without its list marker, continuation lines joined by a space."""
        return _MARKER.sub("", " ".join(self.lines), count=1).strip()

    @property
    def bullet(self) -> bool:
        return bool(re.match(r"^[-+•*–]\s", self.first.text))


def _items(spans: list[_Span]) -> list[_Item | None]:
    """Prose paragraphs in order; None stands for a table row (it ends any open block)."""
    items: list[_Item | None] = []
    for line, start, end in spans:
        if line.is_row:
            items.append(None)
            continue
        previous = items[-1] if items else None
        if previous and line.text[:1].islower() and not MARKER.match(line.text):
            previous.end = end
            previous.lines.append(line.text)
        else:
            items.append(_Item(start, end, line, [line.text]))
    return items


@dataclass
class _Block:
    """A `Cơ quan thực hiện` block being read: its heading and the units its bullets name."""

    start: int
    end: int
    task: str
    section: str
    leads: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)


def _prose_duties(doc: Document, spans: list[_Span]) -> list[Duty]:
    reader = _ProseReader(doc)
    for item in _items(spans):
        reader.read(item)
    reader.close_block()
    return reader.duties


class _ProseReader:
    """Reads prose paragraphs in order, keeping the heading path and which unit (or
    `Cơ quan thực hiện` block) the paragraphs at hand belong to."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.duties: list[Duty] = []
        self.stack: list[tuple[str, str]] = []  # (heading kind, heading text)
        self.seen_body_heading = False
        self.closing = False  # after `Nơi nhận:` until the next heading
        self.in_org = False  # inside TỔ CHỨC THỰC HIỆN
        self.unit: tuple[str, ...] | None = None  # the unit whose section we are in
        self.unit_bullets = 0
        self.block: _Block | None = None

    def read(self, item: _Item | None) -> None:
        if item is None:  # a table: prose sections do not run through it
            self.close_block()
            self.unit, self.in_org = None, False
            return
        kind = heading_kind(item.first)
        if kind == "caps" and not self.seen_body_heading:
            kind = None  # letterhead and title lines are the preamble, not sections
        if kind is not None:
            self.heading(item, kind)
        elif self.closing or _CLOSING.match(item.first.text):
            self.close_block()
            self.closing, self.unit, self.in_org = True, None, False
        elif self.block and item.bullet and _read_block_line(self.block, item.body):
            self.block.end = item.end
        else:
            self.close_block()
            if not (self.in_org and self.org_item(item)):
                self.sentence(item)

    def heading(self, item: _Item, kind: str) -> None:
        self.close_block()
        self.seen_body_heading, self.closing, self.unit, self.unit_bullets = True, False, None, 0
        push_heading(self.stack, kind, item.first.text)
        body = item.body
        if kind in ("roman", "caps"):
            self.in_org = "to chuc thuc hien" in fold(body)
        if _BLOCK.match(re.sub(r"\s+", " ", fold(body)).strip(" .:")) and len(self.stack) > 1:
            parent = _MARKER.sub("", self.stack[-2][1]).strip()
            self.block = _Block(item.start, item.end, parent, self.section())
        elif self.in_org:
            self.unit = _unit_heading(body)

    def org_item(self, item: _Item) -> bool:
        """A paragraph of TỔ CHỨC THỰC HIỆN; False when it belongs to no unit's section."""
        body = item.body
        inline = _INLINE_UNIT.match(item.first.text)
        if inline and looks_like_unit(_UNIT_PREFIX.sub("", inline.group("unit"))):
            # `6. Đề nghị <Unit>: <task>` is a heading and its one duty at once
            self.unit = None
            push_heading(self.stack, "num", item.first.text[: inline.start("task")].rstrip(": "))
            self.emit(
                item,
                inline.group("task").strip(),
                _units(_UNIT_PREFIX.sub("", inline.group("unit"))),
            )
            return True
        if item.bullet and body.endswith(":") and _unit_heading(body):
            self.unit, self.unit_bullets = _unit_heading(body), 0  # `- Văn phòng HĐND và UBND xã:`
            return True
        if self.unit and item.bullet:
            self.unit_bullets += 1
            self.emit(item, body, self.unit)
            return True
        if self.unit and self.unit_bullets == 0:
            if not body.endswith(":"):  # a paragraph right under the unit is its duty
                self.emit(item, body, self.unit)
            return True  # … an introduction ending with ':' is not
        self.unit = None  # a paragraph after the bullets closes the unit's section
        return False

    def sentence(self, item: _Item) -> None:
        """`Giao <Unit> …` or `<Unit> tham mưu …` anywhere in the prose."""
        match = _GIAO.match(item.body) or _SUBJECT.match(item.body)
        if match:
            self.emit(item, item.body, _units(match.group("unit")))

    def section(self) -> str:
        return SECTION_SEP.join(text for _, text in self.stack)

    def area(self) -> str | None:
        """The plan's area a duty sits in (`Cải cách thủ tục hành chính`): the first heading
        below the top one. TỔ CHỨC THỰC HIỆN is organised by unit, not by area."""
        below_top = [text for kind, text in self.stack if kind not in ("roman", "caps")]
        return None if self.in_org or not below_top else _MARKER.sub("", below_top[0]).strip()

    def emit(self, item: _Item, task: str, leads: tuple[str, ...]) -> None:
        if not leads:
            return
        partners = tuple(p for p in _partners(task) if p not in leads)
        self.duties.append(
            _make(
                self.doc,
                item.start,
                item.end,
                area=self.area(),
                task=task,
                product=None,
                leads=leads,
                partners=partners,
                monitor=None,
                leader=None,
                deadline=find_deadline(task, self.doc.year),
                section=self.section(),
                origin="prose",
            )
        )

    def close_block(self) -> None:
        block, self.block = self.block, None
        if block and block.leads:
            self.duties.append(
                _make(
                    self.doc,
                    block.start,
                    block.end,
                    area=block.task,
                    task=block.task,
                    product=None,
                    leads=tuple(dict.fromkeys(block.leads)),
                    partners=tuple(dict.fromkeys(block.partners)),
                    monitor=None,
                    leader=None,
                    deadline=None,
                    section=block.section,
                    origin="prose",
                )
            )


def _unit_heading(body: str) -> tuple[str, ...] | None:
    """The units a heading of TỔ CHỨC THỰC HIỆN names (`1. Phòng Văn hóa - Xã hội`,
    `7. Đề nghị Công an xã, Ban chỉ huy quân sự xã`, `- Văn phòng HĐND và UBND xã:`)."""
    name = _UNIT_PREFIX.sub("", body.rstrip(":").strip())
    if not looks_like_unit(name) or len(name.split()) > _MAX_UNIT_WORDS:
        return None
    return _units(name) or None


def _read_block_line(block: _Block, body: str) -> bool:
    """Take the units of one bullet of a `Cơ quan thực hiện` block; False if it names none."""
    role = _ROLE.match(body)
    if role:
        units = _units(_unit_phrase(role.group("units")))
        (block.leads if role.group("role") == "Chủ trì" else block.partners).extend(units)
        return True
    bare = body.rstrip(". ")
    if looks_like_unit(bare) and ":" not in bare and len(bare.split()) <= 12:
        (block.partners if block.leads else block.leads).extend(_units(bare))
        return True
    return False


def _unit_phrase(text: str) -> str:
    """`Các Phòng, ban, ngành, đơn vị liên quan trong triển khai, …` → the units only."""
    text = re.split(r":|\.(?:\s|$)", text, maxsplit=1)[0]
    cut = text.find("liên quan")
    return text[: cut + len("liên quan")] if cut >= 0 else text


def _partners(text: str) -> tuple[str, ...]:
    """Units a sentence says the lead works with (`phối hợp với Phòng Kinh tế thực hiện …`)."""
    found: list[str] = []
    for match in _PARTNER.finditer(text):
        phrase = _PARTNER_END.split(text[match.end() :], maxsplit=1)[0]
        found.extend(u for u in split_units(phrase) if looks_like_unit(u))
    return tuple(dict.fromkeys(canonical_unit(u) for u in found))
