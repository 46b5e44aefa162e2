"""How much structure the importer recovers from the portal crawl (issue 4's acceptance).

    python -m eval.portal_parse [../shared/data/dvcqg-procedures]

Counts, independently of the parser, which records *state* a per-channel time (a channel
name followed by a number) and which state a fee amount (a number followed by a currency),
then checks what `ingest.portal.parse_record` recovered for each (numbers are read with
the importer's `amount_value`, so `3,500,000` and `3.500.000` compare equal). Prints the figures and
the records it could not parse fully.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from ingest.errors import IngestError
from ingest.portal import amount_value, parse_record, read_list

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dvcqg-procedures"
_STATED_TIME = re.compile(r"(?:Trực tuyến|Trực tiếp|Dịch vụ bưu chính)\d")
_STATED_AMOUNT = re.compile(
    r"(Trực tuyến|Trực tiếp|Dịch vụ bưu chính)?(\d+(?:[.,]\d+)*)\s*(?:Việt Nam Đồng|VNĐ|USD)"
)


def _readings(number: str, glued: bool) -> set[float]:
    """The amounts a stated number may be. Glued to its channel name with no time unit
    (`Trực tuyến120 VNĐ`), its leading digits may be the time (1 day, 20 VNĐ)."""
    out = {amount_value(number)}
    if glued:
        out |= {amount_value(number[i:]) for i in range(1, len(number)) if number[i] not in ",."}
    return out


def measure(root: Path) -> dict:
    files = sorted(root.glob("*/*.json"))
    started = time.perf_counter()
    counts = {
        "records": len(files),
        "parsed": 0,
        "errors": [],
        "time_stated": 0,
        "time_recovered": 0,
        "amount_stated": 0,
        "amount_recovered": 0,
        "with_dossier": 0,
        "with_legal_basis": 0,
        "with_problems": 0,
        "time_missed": [],
        "amount_missed": [],
        "problems": [],
    }
    for path in files:
        raw = json.loads(path.read_text(encoding="utf-8"))
        try:
            proc = parse_record(raw, ministry=path.parent.name)
        except (IngestError, Exception) as exc:  # noqa: BLE001 - the count must include every failure
            counts["errors"].append(f"{path.name}: {type(exc).__name__}: {exc}")
            continue
        counts["parsed"] += 1
        ways = raw.get("cach_thuc_thuc_hien", "")
        if _STATED_TIME.search(ways):
            counts["time_stated"] += 1
            stated = len(_STATED_TIME.findall(ways))
            got = sum(1 for c in proc.channels if c.time_value is not None)
            if got >= stated:
                counts["time_recovered"] += 1
            else:
                counts["time_missed"].append(f"{proc.code}: {ways[37:140]!r}")
        stated = _STATED_AMOUNT.findall(ways)
        if stated:
            counts["amount_stated"] += 1
            got_amounts = {a for c in proc.channels for a, _ in c.fee_amounts}
            missing = [v for glued, v in stated if not _readings(v, bool(glued)) & got_amounts]
            if not missing:
                counts["amount_recovered"] += 1
            else:
                counts["amount_missed"].append(
                    f"{proc.code}: missing {missing} in {ways[37:160]!r}"
                )
        counts["with_dossier"] += bool(proc.dossier)
        counts["with_legal_basis"] += bool(proc.legal_basis)
        if proc.problems:
            counts["with_problems"] += 1
            counts["problems"] += [f"{proc.code}: {p}" for p in proc.problems]
    lists = {}
    for book in sorted(root.glob("*.xlsx")):
        try:
            lists[book.name] = len(read_list(book))
        except IngestError as exc:
            lists[book.name] = f"lỗi: {exc}"
    counts["list_only"] = lists
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} = {a / b:.1%}" if b else "0/0"


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    root = Path(args[0]) if args else DEFAULT
    if not root.is_dir():
        print(f"không tìm thấy thư mục dữ liệu cổng: {root}")
        return 2
    c = measure(root)
    print(
        f"records: {c['records']}, parsed without exception: {c['parsed']}, "
        f"exceptions: {len(c['errors'])}"
    )
    print(
        f"per-channel time recovered: {_pct(c['time_recovered'], c['time_stated'])} "
        "of records that state one"
    )
    print(
        f"fee amounts recovered: {_pct(c['amount_recovered'], c['amount_stated'])} "
        "of records that state an amount"
    )
    print(
        f"dossier items recovered: {_pct(c['with_dossier'], c['parsed'])}; "
        f"legal bases: {_pct(c['with_legal_basis'], c['parsed'])}"
    )
    print(f"records with reported problems: {c['with_problems']}")
    print(f"list-only records from the XLSX lists: {c['list_only']}")
    print(f"seconds: {c['seconds']}")
    for title, key in (
        ("exceptions", "errors"),
        ("time not recovered", "time_missed"),
        ("amounts not recovered", "amount_missed"),
        ("reported problems", "problems"),
    ):
        if c[key]:
            print(f"\n{title} ({len(c[key])}):")
            for line in c[key][:25]:
                print(f"  {line}")
    return 0 if not c["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
