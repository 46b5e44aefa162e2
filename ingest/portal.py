"""The national public-service portal's format (Cổng Dịch vụ công quốc gia) → `Procedure`.

The crawl stores one JSON per procedure whose table-like fields lost their separators:

    "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến15 Ngày làm việc3,500,000 Việt Nam
     Đồng(/hồ sơ)(áp dụng mức phí 1.750.000 đồng/hồ sơ …)Trực tiếp15 Ngày làm việc…"

The parsers below put the structure back: channels with their time and fees, dossier items
with form and number of copies, legal bases with title and number. What they cannot read is
kept as text and listed in `Procedure.problems`, never dropped silently. The ministries'
XLSX lists (code, name, issuing ministry, agency, field) give list-only records.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

import orjson

from ingest.errors import IngestError
from ingest.procedure import Channel, DossierItem, LegalBasis, Procedure
from ingest.textnorm import normalize

CHANNEL_NAMES = ("Trực tuyến", "Trực tiếp", "Dịch vụ bưu chính")
_NONE = "Không có thông tin"
_CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
# A channel cell starts a row only when a time (a number) or the portal's "no information"
# follows it; "Trực tiếp tại cơ quan …" inside a description does not.
_CHANNEL_START = re.compile(
    rf"(Trực tuyến|Trực tiếp|Dịch vụ bưu chính)(?=\s*(?:\d|{_NONE}|Miễn phí))"
)
_TIME = re.compile(
    r"\s*(\d+(?:[.,]\d+)?)(?:\s*(Ngày làm việc|Ngày|Giờ làm việc|Giờ|Tháng|Năm|Tuần|Phút))?",
    re.IGNORECASE,
)
_CURRENCY = r"Việt Nam Đồng|VNĐ|VND|Đồng|đồng|USD"
_MONEY = re.compile(rf"(\d+(?:[.,]\d+)*)\s*({_CURRENCY})")
_FEE_START = re.compile(rf"\s*(?:Miễn phí|{_NONE}|(\d+(?:[.,]\d+)*)\s*({_CURRENCY}))")

_DOSSIER_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
_COPIES = re.compile(r"(\d+)\s*bản chính(?:\s*,\s*(\d+)\s*bản sao)?|(\d+)\s*bản sao", re.IGNORECASE)
# A form's file name glued to the document's name (`Tờ khai đăng ký khai sinhMẫu TK.docx`):
# it starts at the last capital glued to a lower-case letter, else at the last space.
_FORM_FILE = re.compile(
    r"(?:(?<=[a-zà-ỹ)\]])[A-ZĐ][^()]{0,80}?|\S+)\.(?i:docx?|pdf|xlsx?|rar|zip)\s*$"
)

_LAW_HEADER = "Tên văn bản pháp lýMã văn bản"
_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
# Issuer codes of legal instruments (`TT-BCA`, `NĐ-CP`, `QĐ-TTg`). Glued to the next title
# (`53/2025/TT-BCAngày`, `85/2019/TT-BTCNghị định`), only a known code tells where the number
# ends; an unknown run of capitals must not be followed by another capital.
_ISSUERS = "|".join(
    sorted(
        [
            "BTC",
            "BCA",
            "BTP",
            "BXD",
            "BNNMT",
            "BTNMT",
            "BNNPTNT",
            "BGTVT",
            "BYT",
            "BLĐTBXH",
            "BKHĐT",
            "BCT",
            "BTTTT",
            "BNV",
            "BGDĐT",
            "BVHTTDL",
            "BKHCN",
            "BQP",
            "BNG",
            "NHNN",
            "UBND",
            "HĐND",
            "CP",
            "TTg",
            "VPCP",
            "TANDTC",
            "VKSNDTC",
            "BTC-BTP",
            "BCA-BTP",
        ],
        key=len,
        reverse=True,
    )
)
_SEGMENT = rf"(?:{_ISSUERS}|[A-ZĐ]+g?(?![{_UPPER}]))"
# A number that ends a (title, number) pair: what follows it is the next title (a capital
# letter, glued or after a space), the next number, or the end.
_LAW_NUMBER = re.compile(
    rf"\d{{1,4}}(?:\.\d+)?/\d{{4}}/"  # 53/2025/
    rf"(?:[A-ZĐ-]*QH\d{{1,2}}|{_SEGMENT}(?:-{_SEGMENT})*)"  # QH15, TT-BCA, NĐ-CP
    rf"(?=$|\d|\s*[{_UPPER}][a-zà-ỹ]|\s+[{_UPPER}])"
)
_GLUED_KIND = re.compile(
    r"(?<=[a-zà-ỹ.)\]])\s*"
    r"(Luật|Nghị định|Thông tư liên tịch|Thông tư|Quyết định|Nghị quyết)(\s+số)?\s*$"
)


def record_level(path: Path) -> str | None:
    """The executing level a portal record states (`Cấp tỉnh, Cấp xã`), "" when it states
    none; None for a file that is not a readable portal record (the reader says why)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:  # the default build asks it of each of 2,642 records: orjson is 3 times as fast
        raw = orjson.loads(data.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError:  # what only Python's reader takes (NaN, huge numbers)
        try:
            raw = json.loads(data.decode("utf-8-sig"))
        except ValueError:
            return None
    if not isinstance(raw, dict) or "ma_thu_tuc" not in raw:
        return None
    return str(raw.get("cap_thuc_hien") or "")


def parse_record(raw: dict, ministry: str = "") -> Procedure:
    """One portal JSON record → `Procedure` (origin "portal")."""
    if not isinstance(raw, dict) or not raw.get("ma_thu_tuc") or not raw.get("ten_thu_tuc"):
        raise IngestError(
            "không phải bản ghi thủ tục của Cổng Dịch vụ công (thiếu mã hoặc tên thủ tục)"
        )
    text = {k: normalize(v).strip() if isinstance(v, str) else v for k, v in raw.items()}
    problems: list[str] = []
    channels, channel_problems = parse_channels(text.get("cach_thuc_thuc_hien", ""))
    problems += channel_problems
    dossier = parse_dossier(text.get("thanh_phan_ho_so", ""))
    if not dossier and _given(text.get("thanh_phan_ho_so")):
        problems.append("không tách được thành phần hồ sơ; giữ nguyên văn bản")
        dossier = (DossierItem(name=_squash(text["thanh_phan_ho_so"])),)
    laws = parse_legal_basis(text.get("can_cu_phap_ly", ""))
    if not laws and _given(text.get("can_cu_phap_ly")):
        problems.append("không tách được căn cứ pháp lý; giữ nguyên văn bản")
        laws = (LegalBasis(title=_squash(text["can_cu_phap_ly"].replace(_LAW_HEADER, ""))),)
    online = (
        "Có thể nộp trực tuyến"
        if any(c.channel == "Trực tuyến" for c in channels)
        else ("Không nộp trực tuyến" if channels else "")
    )
    places: dict[str, str] = {}  # the portal often states the same place twice, cased differently
    for value in (text.get("dia_chi_tiep_nhan", ""), text.get("co_quan_thuc_hien", "")):
        if _given(value):
            places.setdefault(value.lower(), value)
    where = "; ".join(places.values())
    return Procedure(
        code=text["ma_thu_tuc"].strip(),
        name=_squash(text["ten_thu_tuc"]),
        level=text.get("cap_thuc_hien", ""),
        field=text.get("linh_vuc", ""),
        competent_agency=_given(text.get("co_quan_co_tham_quyen")) or "",
        implementing_agency=_given(text.get("co_quan_thuc_hien")) or "",
        applicants=_given(text.get("doi_tuong_thuc_hien")) or "",
        where=where,
        channels=channels,
        online=online,
        fee_by_province=("Hội đồng nhân dân" in text.get("cach_thuc_thuc_hien", "")) or None,
        dossier=dossier,
        steps=_paragraphs(text.get("trinh_tu_thuc_hien", "")),
        conditions=_paragraphs(text.get("yeu_cau_dieu_kien", "")),
        result=parse_result(text.get("ket_qua_xu_ly", "")),
        legal_basis=laws,
        decision=text.get("so_quyet_dinh", ""),
        source_url=text.get("detail_url") or None,
        origin="portal",
        ministry=ministry,
        problems=tuple(problems),
    )


# -- channels, time and fee ---------------------------------------------------------------------


def parse_channels(text: str) -> tuple[tuple[Channel, ...], list[str]]:
    """`Hình thức nộp | Thời gian | Phí, lệ phí | Mô tả` rows → channels, problems."""
    body = text.replace(_CHANNEL_HEADER, "", 1).strip()
    if not _given(body):
        return (), []
    starts = list(_CHANNEL_START.finditer(body))
    if not starts:
        return (), [f"không tách được cách thức thực hiện: {body[:80]}…"]
    channels, problems = [], []
    for match, following in zip(starts, [*starts[1:], None]):
        cell = body[match.end() : following.start() if following else len(body)]
        channel, problem = _parse_row(match.group(1), cell)
        channels.append(channel)
        if problem:
            problems.append(problem)
    return tuple(channels), problems


def _parse_row(name: str, cell: str) -> tuple[Channel, str | None]:
    time_text, value, unit = "", None, None
    rest = cell
    if rest.lstrip().startswith(_NONE):
        rest = rest.lstrip()[len(_NONE) :]
    else:
        match = _TIME.match(rest)
        if match:
            number, unit = match.group(1), match.group(2)
            rest = rest[match.end() :]
            currency = re.match(rf"\s*({_CURRENCY})", rest)
            if not unit and currency:  # "120 VNĐ(20.000 đồng)": time and fee glued together
                number, fee_digits = _split_glued(number, rest)
                rest = fee_digits + rest
            if number:
                value = amount_value(number)
                unit = unit.lower() if unit else None
                time_text = f"{number} {unit}" if unit else number
    fee, note = _split_fee(rest)
    amounts = tuple((amount_value(v), _currency(c)) for v, c in _MONEY.findall(fee))
    free = fee.startswith("Miễn phí")
    main = (
        0
        if free and not amounts
        else (int(amounts[0][0]) if amounts and amounts[0][1] == "VND" else None)
    )
    channel = Channel(
        channel=name,
        time=time_text,
        time_value=value,
        time_unit=unit,
        fee=fee,
        fee_amount=main,
        fee_amounts=amounts,
        note=note,
    )
    problem = None
    if not _FEE_START.match(rest) and rest.strip():
        problem = f"{name}: không đọc được ô phí, lệ phí: {rest.strip()[:60]}…"
    return channel, problem


def _split_glued(number: str, rest: str) -> tuple[str, str]:
    """Split "120" into time "1" and fee "20" when the fee's own note confirms the amount."""
    noted = {amount_value(v) for v, _ in _MONEY.findall(rest)} | {
        amount_value(v) for v in re.findall(r"\d+(?:\.\d{3})+", rest)
    }
    for i in range(1, len(number)):
        if number[i] in ",.":
            continue
        fee = amount_value(number[i:])
        if fee in noted or fee * 1000 in noted:
            return number[:i], number[i:]
    # Unconfirmed: the portal's one unitless time is "1" (`Trực tuyến1Miễn phí`), so a
    # leading 1 glued to an amount is that time (`1100 VNĐ(Phí công bố …: 100.000 đồng)`).
    if number.startswith("1") and len(number) > 1 and number[1] not in ",.":
        return "1", number[1:]
    return "", number


def _split_fee(rest: str) -> tuple[str, str]:
    """The fee cell (its leading statement plus its parenthesised explanation) and the note
    after it."""
    rest = rest.strip()
    match = _FEE_START.match(rest)
    if not match:
        return "", rest
    end = match.end()
    while end < len(rest) and rest[end] == "(":
        end = _closing(rest, end)
    fee = rest[:end].strip()
    if fee.startswith(_NONE):
        fee = ""
    return fee, rest[end:].strip()


def _closing(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return len(text)


def amount_value(number: str) -> float:
    """`3,500,000` and `1.750.000` are thousands; `0,5` and `1.5` are decimals; a malformed
    grouping (`15.000.0000`) is read as its digits."""
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", number):
        return float(re.sub(r"[.,]", "", number))
    if re.fullmatch(r"\d+(?:[.,]\d+)?", number):
        return float(number.replace(",", "."))
    return float(re.sub(r"\D", "", number))


def _currency(text: str) -> str:
    return "USD" if text == "USD" else "VND"


# -- dossier -----------------------------------------------------------------------------------


def parse_dossier(text: str) -> tuple[DossierItem, ...]:
    """`Tên giấy tờ | Mẫu đơn, tờ khai | Số lượng` blocks, each under an optional group title."""
    if not _given(text) or _DOSSIER_HEADER not in text:
        return ()
    blocks = text.split(_DOSSIER_HEADER)
    group = _group_title(blocks[0])
    items: list[DossierItem] = []
    for block in blocks[1:]:
        position = 0
        for match in _COPIES.finditer(block):
            name = block[position : match.start()].strip()
            position = match.end()
            if not name:
                continue
            form = ""
            found = _FORM_FILE.search(name)
            if found:
                form, name = found.group(0).strip(), name[: found.start()].strip()
            copies = _copies(match)
            items.append(
                DossierItem(
                    name=_squash(name).lstrip("-+*•– ").strip(),
                    form=form,
                    copies=copies,
                    group=group,
                )
            )
        group = _group_title(block[position:])
    return tuple(items)


def _copies(match: re.Match) -> str:
    original, copy, only_copy = match.group(1), match.group(2), match.group(3)
    parts = []
    if original and int(original):
        parts.append(f"{int(original)} bản chính")
    if copy and int(copy):
        parts.append(f"{int(copy)} bản sao")
    if only_copy and int(only_copy):
        parts.append(f"{int(only_copy)} bản sao")
    return ", ".join(parts)  # "" for the portal's "0 bản chính" notes


def _group_title(text: str) -> str:
    title = _squash(text).strip(" *-+:–")
    return title if len(title) <= 300 else title[:300]


# -- legal basis, result, prose ------------------------------------------------------------------


def parse_legal_basis(text: str) -> tuple[LegalBasis, ...]:
    """`Tên văn bản pháp lý | Mã văn bản` pairs: a number that ends a pair is glued to the
    next title."""
    body = text.replace(_LAW_HEADER, "", 1).strip()
    if not _given(body):
        return ()
    out: list[LegalBasis] = []
    position = 0
    for match in _LAW_NUMBER.finditer(body):
        title = body[position : match.start()].strip()
        position = match.end()
        title = _GLUED_KIND.sub("", title).strip(" ,;.")
        if title:
            out.append(LegalBasis(title=_squash(title), number=match.group(0)))
    tail = body[position:].strip()
    if tail and out:
        out.append(LegalBasis(title=_squash(tail)))
    return tuple(out)


def parse_result(text: str) -> str:
    """Results without the portal's page furniture (`Mã: KQ…`, `Từ khóa`,
    `Chọn cơ quan thực hiện`)."""
    if not _given(text):
        return ""
    pieces = re.split(r"Mã:\s*KQ(?:\.[A-Z]*\d+)+", text.split("Chọn cơ quan thực hiện")[0])
    results = [pieces[0]] + [
        re.sub(rf"^\s*Từ khóa.*?Mô tả(?:{_NONE})?", "", p, flags=re.DOTALL) for p in pieces[1:]
    ]
    results = [_squash(r) for r in results if _given(r)]
    return "; ".join(dict.fromkeys(results))


def _paragraphs(text: str) -> tuple[str, ...]:
    if not _given(text):
        return ()
    lines = (_squash(line).lstrip("-+•– ").strip() for line in text.split("\n"))
    return tuple(p for p in lines if p)


def _given(text: str | None) -> str | None:
    text = (text or "").strip()
    return text if text and text != _NONE else None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# -- the ministries' XLSX lists ------------------------------------------------------------------


def read_list(path: Path) -> list[Procedure]:
    """A ministry's list (`Mã số | Tên | Cơ quan ban hành | Cơ quan thực hiện | Lĩnh vực`).

    Rows whose code has a portal record (a `<code>.json` beside or below the list) are left
    to that record; the others become list-only records.
    """
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise IngestError(f"không đọc được tệp Excel ({type(exc).__name__})") from exc
    covered = _portal_codes(path.parent)
    out: list[Procedure] = []
    try:
        for sheet in workbook.worksheets:
            header = None
            for row in sheet.iter_rows(values_only=True):
                cells = [normalize(str(c)).strip() if c is not None else "" for c in row]
                if header is None:
                    if cells and cells[0] == "Mã số":
                        header = cells
                    continue
                record = dict(zip(header, cells))
                code = record.get("Mã số", "")
                if not re.fullmatch(r"\d+\.\d+", code) or code in covered:
                    continue
                out.append(
                    Procedure(
                        code=code,
                        name=_squash(record.get("Tên", "")),
                        field=record.get("Lĩnh vực", ""),
                        implementing_agency="; ".join(
                            p.strip()
                            for p in record.get("Cơ quan thực hiện", "").split("\n")
                            if p.strip()
                        ),
                        ministry=record.get("Cơ quan ban hành", ""),
                        origin="list",
                    )
                )
    finally:
        workbook.close()
    if not out and not covered:
        raise IngestError("tệp Excel không có danh sách thủ tục (thiếu cột 'Mã số')")
    return out


def _portal_codes(folder: Path) -> frozenset[str]:
    return frozenset(p.stem for p in folder.rglob("*.json"))
