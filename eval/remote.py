"""`tthc eval --url URL --set FILE.jsonl`: a running deployment evaluated over HTTP.

    tthc eval --url https://hoidap.xa.gov.vn --set eval/gold/plans.jsonl \\
              --set eval/gold/decline.jsonl --report eval-runs --baseline eval-runs/run-….json

Every question of the gold files (format: docs/eval.md) is asked through `POST /api/ask`, and
those with a gold passage (`doc_id`, `evidence`) are searched through `POST /api/search`.
The scoring is the in-process evaluation's own (`eval.retrieval.first_hit` and `metrics`,
`eval.answers.rows` and `summarise`), so a deployment and `tthc eval` agree on a figure.
Each run writes `run-<time>.md`, `.json` and `.svg` into the report folder; with
`--baseline` (an earlier run's JSON) the report says what changed. The evaluators' key
(`TTHC_EVAL_API_KEY`, sent as `X-Eval-Key`) takes the run out of the server's rate limit;
without it the run waits out each 429 as its Retry-After says.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import httpx

from eval import answers
from eval.retrieval import DEPTH, first_hit, load_gold, metrics

TIMEOUT_S = 120.0
MAX_WAITS = 20  # 429s waited out for one question before the run gives up
# The headline figures, in the order the report and the comparison show them.
FIGURES = (
    ("hit@1", "Tìm đúng ở vị trí 1 (hit@1)"),
    ("hit@5", "Tìm đúng trong 5 (hit@5)"),
    ("mrr@10", "MRR@10"),
    ("answer_accuracy", "Trả lời đủ ý (độ chính xác)"),
    ("citation_support", "Trích dẫn đúng"),
    ("abstention_recall", "Từ chối đúng (recall)"),
    ("false_abstention", "Từ chối nhầm"),
)
LATENCIES = ("ask_p50_ms", "ask_p95_ms", "ask_p99_ms", "search_p50_ms", "search_p95_ms")


class Passage(NamedTuple):
    """A search result as `eval.retrieval.is_hit` reads a chunk."""

    doc_id: str
    text: str


class Remote:
    """The deployment's public API, as one client: `ask(question)` → the answer object,
    `search(question)` → passages; `search_ms` keeps each search's time."""

    def __init__(self, http: httpx.Client, eval_key: str | None = None):
        self.http = http
        self.search_ms: list[float] = []
        if eval_key:
            self.http.headers["X-Eval-Key"] = eval_key

    def _post(self, path: str, body: dict) -> dict:
        for _ in range(MAX_WAITS):
            response = self.http.post(path, json=body)
            if response.status_code != 429:
                response.raise_for_status()
                return response.json()
            time.sleep(float(response.headers.get("retry-after", "1")))
        raise RuntimeError(f"{path}: vẫn bị giới hạn tốc độ (429) sau {MAX_WAITS} lần chờ")

    def ask(self, question: str) -> dict:
        return self._post("/api/ask", {"question": question})

    def search(self, question: str) -> list[Passage]:
        started = time.perf_counter()
        results = self._post("/api/search", {"query": question, "k": DEPTH})["results"]
        self.search_ms.append(1000 * (time.perf_counter() - started))
        return [Passage(r["doc_id"], r["text"]) for r in results]


def must_decline(item: dict) -> bool:
    """A gold question the service must decline: it names why (`reason`) or says so."""
    return bool(item.get("decline") or item.get("reason"))


def percentile(values: list[float], q: float) -> float:
    """The value below which a share `q` of `values` lies (as `eval.answers.summarise`)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def evaluate(remote: Remote, items: list[dict]) -> dict:
    """Retrieval over the items with a gold passage, answers over all, latencies."""
    located = [i for i in items if not must_decline(i) and i.get("doc_id") and i.get("evidence")]
    ranks = [first_hit(item, remote.search(item["question"])) for item in located]
    summary = answers.summarise(
        answers.rows(
            remote.ask,
            [i for i in items if not must_decline(i)],
            [i for i in items if must_decline(i)],
        )
    )
    asked = [r["ms"] for r in summary["rows"]]
    figures = {**metrics(ranks), **{k: summary[k] for k, _ in FIGURES[3:]}}
    figures["abstention_precision"] = summary["abstention_precision"]
    latency = {
        "ask_p50_ms": percentile(asked, 0.5),
        "ask_p95_ms": percentile(asked, 0.95),
        "ask_p99_ms": percentile(asked, 0.99),
        "search_p50_ms": percentile(remote.search_ms, 0.5),
        "search_p95_ms": percentile(remote.search_ms, 0.95),
    }
    counts = {
        "questions": len(items),
        "searched": len(located),
        "answerable": summary["n_answerable"],
        "decline": summary["n_decline"],
    }
    return {"figures": figures, "latency": latency, "counts": counts, "rows": summary["rows"]}


def compare(run: dict, baseline: dict) -> dict[str, dict[str, float]]:
    """Each figure and latency of both runs, with the change (this run minus the baseline)."""
    out = {}
    for group in ("figures", "latency"):
        for key, value in run[group].items():
            before = baseline.get(group, {}).get(key)
            if before is not None:
                out[key] = {"baseline": before, "run": value, "change": value - before}
    return out


def render(run: dict, chart_name: str) -> str:
    f, lat, n = run["figures"], run["latency"], run["counts"]
    lines = [
        f"# Đánh giá qua HTTP: {run['url']}",
        "",
        f"{run['started']}; bộ câu hỏi: {', '.join(run['sets'])}. {n['questions']} câu hỏi: "
        f"{n['answerable']} phải trả lời ({n['searched']} có đoạn văn đúng để chấm tìm kiếm), "
        f"{n['decline']} phải từ chối.",
        "",
        f"![biểu đồ]({chart_name})",
        "",
        "| chỉ số | giá trị |",
        "|---|---|",
        *(f"| {label} | {f[key]:.3f} |" for key, label in FIGURES),
        f"| Độ chính xác khi từ chối | {f['abstention_precision']:.3f} |",
        f"| Thời gian hỏi p50 / p95 / p99 | {lat['ask_p50_ms']:.0f} / {lat['ask_p95_ms']:.0f}"
        f" / {lat['ask_p99_ms']:.0f} ms |",
        f"| Thời gian tìm p50 / p95 | {lat['search_p50_ms']:.0f} / {lat['search_p95_ms']:.0f} ms |",
        "",
    ]
    if run.get("baseline"):
        lines += [f"## So với lần chạy trước ({run['baseline']['file']})", ""]
        lines += ["| chỉ số | trước | lần này | thay đổi |", "|---|---|---|---|"]
        for key, c in run["baseline"]["changes"].items():
            digits = 0 if key.endswith("_ms") else 3
            lines.append(
                f"| {key} | {c['baseline']:.{digits}f} | {c['run']:.{digits}f} "
                f"| {c['change']:+.{digits}f} |"
            )
        lines.append("")
    wrong = [r for r in run["rows"] if not r["correct"] or r["unsupported"]]
    lines += [f"## Câu chưa đạt ({len(wrong)})", ""]
    for r in wrong:
        state = f"từ chối ({r['reason']})" if r["abstained"] else "đã trả lời"
        extra = (
            f"; số liệu không có trong trích dẫn: {r['unsupported']}" if r["unsupported"] else ""
        )
        lines.append(f"- **{r['id']}** {r['question']}: cần {r['expected']}; {state}{extra}")
    return "\n".join(lines) + "\n"


def write(run: dict, folder: Path) -> Path:
    """`run-<time>.md`, `.json` and `.svg` in `folder`; returns the JSON's path."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"run-{run['started'].replace(':', '').replace('-', '')}"
    bars = [(label, run["figures"][key]) for key, label in FIGURES]
    for suffix, text in (
        (".svg", answers.bar_chart(bars)),
        (".md", render(run, stem.name + ".svg")),
        (".json", json.dumps(run, ensure_ascii=False, indent=1) + "\n"),
    ):
        temporary = stem.with_suffix(suffix + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(stem.with_suffix(suffix))
    return stem.with_suffix(".json")


def main(url: str, sets: list[Path], report: Path, baseline: Path | None, key: str | None) -> int:
    items = [item for path in sets for item in load_gold(path)]
    if not items:
        raise SystemExit("không có câu hỏi nào trong các tệp --set")
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with httpx.Client(base_url=url.rstrip("/"), timeout=TIMEOUT_S) as client:
        run = {"url": url, "sets": [str(p) for p in sets], "started": started}
        run |= evaluate(Remote(client, key), items)
    if baseline:
        before = json.loads(baseline.read_text(encoding="utf-8"))
        run["baseline"] = {"file": str(baseline), "changes": compare(run, before)}
    written = write(run, report)
    headline = {k: round(v, 3) for k, v in {**run["figures"], **run["latency"]}.items()}
    print(json.dumps(headline, ensure_ascii=False))
    print(f"báo cáo: {written.with_suffix('.md')}")
    return 0
