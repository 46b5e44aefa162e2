"""What the product answers, frozen to a file, to prove a refactoring changed nothing.

    python -m eval.snapshot --data DIR --out before.jsonl      # on the old code
    python -m eval.snapshot --data DIR --out after.jsonl       # on the new code
    python -m eval.snapshot --compare before.jsonl after.jsonl

Every question of every gold set is asked through the HTTP API (as typed and with its
diacritics stripped): `/api/ask`, `/api/search` (top 10) and `/api/procedures?q=`, plus the
duty listings. Random ids (`answer_id`, `session_id`) are dropped; everything else a client
sees is kept, so any difference in wording, citations, scores or order shows up.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient

from eval.retrieval import load_gold
from ingest.textnorm import fold
from service.app import create_app
from service.engine import build_engine
from service.settings import Settings

GOLD = Path(__file__).resolve().parent / "gold"
SETS = (
    "plans",
    "decline",
    "procedures",
    "procedures_holdout",
    "procedures_holdout2",
    "duty_questions",
    "duty_questions_holdout",
    "portal",
)
RANDOM = ("answer_id", "session_id")


def questions() -> Iterator[tuple[str, str]]:
    for name in SETS:
        for item in load_gold(GOLD / f"{name}.jsonl"):
            yield f"{name}/{item['id']}", item["question"]
            yield f"{name}/{item['id']}/folded", fold(item["question"])


def _strip(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in RANDOM}


def records(client: TestClient) -> Iterator[dict]:
    for key, question in questions():
        ask = client.post("/api/ask", json={"question": question})
        search = client.post("/api/search", json={"query": question, "k": 10})
        listed = client.get("/api/procedures", params={"q": question, "limit": 5})
        yield {
            "key": key,
            "ask": _strip(ask.json()),
            "ask_status": ask.status_code,
            "search": search.json(),
            "procedures": listed.json(),
        }
    for params in (
        {},
        {"role": "any"},
        {"commune": "Dân Hòa"},
        {"due_before": "2026-06-30"},
        {"unit": "Trung tâm PVHCC"},
        {"q": "chuyển đổi số"},
    ):
        yield {
            "key": f"duties/{json.dumps(params, ensure_ascii=False)}",
            "duties": client.get("/api/duties", params=params).json(),
        }
    for path in (
        "/api/documents",
        "/api/procedures?limit=200",
        "/api/suggestions",
        "/api/about",
        "/api/procedures/1.001193",
    ):
        yield {"key": path, "body": client.get(path).json()}


def write(data: Path, out: Path) -> int:
    settings = Settings(data_dir=data, rate_limit_per_minute=10**6, rate_limit_burst=10**6)
    engine = build_engine(settings)
    with (
        TestClient(create_app(settings, engine)) as client,
        out.open("w", encoding="utf-8") as handle,
    ):
        for n, record in enumerate(records(client), start=1):
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            if n % 200 == 0:
                print(f"{n} …", file=sys.stderr)
    return 0


def compare(before: Path, after: Path) -> int:
    old = {r["key"]: r for r in map(json.loads, before.read_text(encoding="utf-8").splitlines())}
    new = {r["key"]: r for r in map(json.loads, after.read_text(encoding="utf-8").splitlines())}
    differ = [k for k in old if old[k] != new.get(k)] + [k for k in new if k not in old]
    for key in differ[:20]:
        print(f"differs: {key}")
    print(f"{len(old)} records before, {len(new)} after, {len(differ)} differ")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="an index built by `tthc ingest corpus/`")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if not (args.data and args.out):
        parser.error("--data and --out, or --compare")
    return write(args.data, args.out)


if __name__ == "__main__":
    sys.exit(main())
