"""The `Procedure` record (thủ tục hành chính) and how it becomes a `Document` with chunks.

A procedure is a record with fields, not prose: "mất bao nhiêu tiền" is answered from its
channels' fees, "cần giấy tờ gì" from its dossier. The record is rendered once into a plain
text, one section per field (`FIELDS`), and every chunk is a verbatim slice of that text
whose section names the field, so a citation reads "Đăng ký khai sinh › Thời hạn, phí và
lệ phí" and quotes the line it rests on.

Two sources give records: the team's catalogue (`corpus/procedures/*.json`, this module's
own JSON shape) and the national portal's crawl (`ingest.portal`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

from ingest.records import Chunk, Document, Line, content_id
from ingest.textnorm import normalize

# Field key → the label its section carries in the rendered text (and in citations).
FIELDS = {
    "overview": "Thông tin chung",
    "where": "Nơi nộp hồ sơ",
    "channels": "Thời hạn, phí và lệ phí",
    "dossier": "Thành phần hồ sơ",
    "steps": "Trình tự thực hiện",
    "conditions": "Điều kiện",
    "applicants": "Đối tượng thực hiện",
    "result": "Kết quả",
    "legal_basis": "Căn cứ pháp lý",
    "variants": "Trường hợp khác",
    "notes": "Lưu ý",
}
MAX_CHARS = 900  # as for plans (ingest.chunk): a long dossier list is cut at item ends
SECTION_SEP = " › "
_EMPTY = {"", "không có thông tin", "không", "không có"}


@dataclass(frozen=True)
class Channel:
    """One way to submit (`Trực tiếp`, `Trực tuyến`, `Dịch vụ bưu chính`) with its time and fee."""

    channel: str
    time: str = ""  # as stated
    time_value: float | None = None
    time_unit: str | None = None  # "ngày làm việc", "ngày", "giờ", "tháng", …
    fee: str = ""  # as stated
    fee_amount: int | None = None  # VND of the main fee; 0 = free; None = not one figure
    fee_amounts: tuple[
        tuple[float, str], ...
    ] = ()  # every amount the fee states: (value, currency)
    note: str = ""


@dataclass(frozen=True)
class DossierItem:
    name: str
    form: str = ""
    copies: str = ""
    note: str = ""
    group: str = ""  # "Giấy tờ phải nộp", "Giấy tờ phải xuất trình", …


@dataclass(frozen=True)
class LegalBasis:
    title: str
    number: str = ""


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    level: str = ""
    field: str = ""
    competent_agency: str = ""
    implementing_agency: str = ""
    applicants: str = ""
    where: str = ""
    channels: tuple[Channel, ...] = ()
    online: str = ""
    fee_by_province: bool | None = None
    dossier: tuple[DossierItem, ...] = ()
    steps: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    result: str = ""
    legal_basis: tuple[LegalBasis, ...] = ()
    decision: str = ""
    source_url: str | None = None
    updated: str = ""
    variants: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    checked: str = ""
    origin: str = "catalogue"  # "catalogue" | "portal" | "list"
    ministry: str = ""
    problems: tuple[str, ...] = ()  # what the importer could not parse, said plainly

    @property
    def doc_id(self) -> str:
        prefix = {"catalogue": "tthc", "portal": "dvcqg", "list": "dm"}.get(
            self.origin, self.origin
        )
        return f"{prefix}-{self.code}"

    def to_json(self) -> dict:
        data = asdict(self)
        data["channels"] = [
            {**c, "fee_amounts": [list(a) for a in c["fee_amounts"]]} for c in data["channels"]
        ]
        return data

    @classmethod
    def from_json(cls, data: dict, origin: str | None = None) -> Procedure:
        """A record from its JSON shape (the catalogue's files, or `to_json` output)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"trường không có trong mẫu thủ tục: {', '.join(sorted(unknown))}")
        if not data.get("code") or not data.get("name"):
            raise ValueError("thiếu mã thủ tục (code) hoặc tên (name)")
        values = {k: _nfc(v) for k, v in data.items()}
        values["channels"] = tuple(_channel(c) for c in values.get("channels") or ())
        values["dossier"] = tuple(DossierItem(**d) for d in values.get("dossier") or ())
        values["legal_basis"] = tuple(LegalBasis(**b) for b in values.get("legal_basis") or ())
        for key in ("steps", "conditions", "notes", "problems"):
            values[key] = tuple(values.get(key) or ())
        values["variants"] = tuple(values.get("variants") or ())
        if origin:
            values["origin"] = origin
        return cls(**values)

    @classmethod
    def from_stored(cls, data: dict) -> Procedure:
        """A record as the index stored it (`to_json` output, already normalised): the same
        record as `from_json` gives, without normalising every value again (that costs
        about 3.6 ms a record, 10 s to load the portal's 2,642)."""
        values = dict(data)
        values.setdefault("origin", None)  # a record stored before origins: ranked last
        values["channels"] = tuple(_channel(c) for c in values.get("channels") or ())
        values["dossier"] = tuple(DossierItem(**d) for d in values.get("dossier") or ())
        values["legal_basis"] = tuple(LegalBasis(**b) for b in values.get("legal_basis") or ())
        for key in ("steps", "conditions", "notes", "problems", "variants"):
            values[key] = tuple(values.get(key) or ())
        try:
            return cls(**values)
        except TypeError as exc:  # a field this version does not know: not this index
            raise ValueError(f"bản ghi thủ tục trong chỉ mục sai mẫu: {exc}") from exc


def _channel(data: dict) -> Channel:
    amounts = tuple(tuple(a) for a in data.get("fee_amounts") or ())
    if (
        "fee_amounts" not in data and data.get("fee_amount") is not None
    ):  # the catalogue states one figure
        amounts = ((data["fee_amount"], "VND"),)
    return Channel(**{**data, "fee_amounts": amounts})


def _nfc(value):
    if isinstance(value, str):
        return normalize(value) if value else value
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


# -- rendering ---------------------------------------------------------------------------------


def _present(text: str | None) -> bool:
    if not text:
        return False
    return text.strip().lower().rstrip(".") not in _EMPTY


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def channel_line(c: Channel) -> str:
    time = (
        c.time
        if _present(c.time)
        else (
            f"{_number(c.time_value)} {c.time_unit or ''}".strip()
            if c.time_value is not None
            else ""
        )
    )
    if time and c.time_value is not None and not c.time_unit and time == _number(c.time_value):
        time += " (Cổng Dịch vụ công không ghi đơn vị)"
    parts = [f"{c.channel}:"]
    parts.append(f"thời hạn giải quyết {time};" if time else "thời hạn giải quyết: không nêu;")
    parts.append(f"phí, lệ phí: {c.fee}" if _present(c.fee) else "phí, lệ phí: không nêu")
    line = " ".join(parts).rstrip(" ;")
    if _present(c.note):
        line += f". Ghi chú: {c.note}"
    return line


def dossier_line(d: DossierItem) -> str:
    extra = [
        part
        for part in (
            f"mẫu: {d.form}" if _present(d.form) else "",
            f"số lượng: {d.copies}" if _present(d.copies) else "",
            d.note if _present(d.note) else "",
        )
        if part
    ]
    return f"{d.name} ({'; '.join(extra)})" if extra else d.name


def sections(p: Procedure) -> list[tuple[str, list[str]]]:
    """The record as (field key, lines) in reading order; empty fields are left out."""
    overview = [f"{p.name} (mã thủ tục {p.code})"]
    facts = [
        ("Cấp thực hiện", p.level),
        ("Lĩnh vực", p.field),
        ("Cơ quan có thẩm quyền", p.competent_agency),
        ("Cơ quan thực hiện", p.implementing_agency),
        ("Nộp trực tuyến", p.online),
        ("Kết quả", p.result if len(p.result) <= 200 else ""),
    ]
    overview += [f"{label}: {value}" for label, value in facts if _present(value)]
    out: list[tuple[str, list[str]]] = [("overview", overview)]
    if _present(p.where):
        out.append(("where", [p.where]))
    channel_lines = [channel_line(c) for c in p.channels]
    if p.fee_by_province:
        channel_lines.append("Mức phí, lệ phí do Hội đồng nhân dân cấp tỉnh quyết định.")
    if channel_lines:
        out.append(("channels", channel_lines))
    groups: list[str] = []
    dossier_lines = []
    for d in p.dossier:
        if d.group and d.group not in groups:
            groups.append(d.group)
            dossier_lines.append(f"{d.group}:")
        dossier_lines.append(f"- {dossier_line(d)}")
    optional = [
        ("dossier", dossier_lines),
        (
            "steps",
            [f"{i}. {s}" for i, s in enumerate(p.steps, start=1)]
            if len(p.steps) > 1
            else list(p.steps),
        ),
        ("conditions", [f"- {c}" for c in p.conditions if _present(c)]),
        ("applicants", [p.applicants] if _present(p.applicants) else []),
        ("result", [p.result] if _present(p.result) else []),
        (
            "legal_basis",
            [
                f"- {b.title} ({b.number})"
                if b.number and b.number not in b.title
                else f"- {b.title}"
                for b in p.legal_basis
            ],
        ),
        ("variants", [_variant_line(v) for v in p.variants]),
        ("notes", [f"- {n}" for n in p.notes if _present(n)]),
    ]
    out += [(key, lines) for key, lines in optional if lines]
    return out


def _variant_line(v: dict) -> str:
    code = f" (mã {v['code']})" if v.get("code") else ""
    difference = f": {v['difference']}" if v.get("difference") else ""
    return f"- {v.get('name', '')}{code}{difference}"


def to_document(p: Procedure, source: str, data_hash: str = "") -> Document:
    """Render the record; the document's text is what every citation is a slice of."""
    lines: list[Line] = [Line(p.name)]
    for key, body in sections(p):
        lines.append(Line(f"{FIELDS[key]}:"))
        lines += [Line(_one_line(text)) for text in body]
    return Document(
        doc_id=p.doc_id,
        source=source,
        kind="procedure",
        title=p.name,
        text="\n".join(line.text for line in lines),
        lines=tuple(lines),
        number=p.code,
        content_hash=data_hash,
        procedure=p.to_json(),
    )


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n+\s*", " ", text).strip()


def procedure_chunks(doc: Document) -> list[Chunk]:
    """One chunk per field (a long field is cut at line ends), each tagged with the field."""
    chunks: list[Chunk] = []
    offset = len(doc.lines[0].text) + 1
    label = ""
    pending: list[tuple[int, int]] = []

    def flush() -> None:
        if not pending:
            return
        start, end = pending[0][0], pending[-1][1]
        text = doc.text[start:end]
        section = f"{doc.title}{SECTION_SEP}{label}"
        chunks.append(
            Chunk(
                id=content_id(doc.doc_id, section, text),
                doc_id=doc.doc_id,
                title=doc.title,
                source=doc.source,
                kind=doc.kind,
                section=section,
                text=text,
                start=start,
                end=end,
            )
        )
        pending.clear()

    labels = {f"{v}:": v for v in FIELDS.values()}
    for line in doc.lines[1:]:
        start, end = offset, offset + len(line.text)
        offset = end + 1
        if line.text in labels:
            flush()
            label = labels[line.text]
            continue
        if pending and end - pending[0][0] > MAX_CHARS:
            flush()
        pending.append((start, end))
    flush()
    return chunks


def field_of(chunk: Chunk) -> str | None:
    """The field key of a procedure chunk (`dossier`, `channels`, …), from its section."""
    label = chunk.section.rsplit(SECTION_SEP, 1)[-1]
    return next((key for key, value in FIELDS.items() if value == label), None)
