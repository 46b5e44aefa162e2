"""`tthc eval`: the evaluation's own sub-command, plugged into the product's CLI through the
`tthc.commands` entry point (pyproject.toml), so that the product never imports `eval`."""

from __future__ import annotations

import argparse
from pathlib import Path

RUNS = "eval/reports/runs"


def register(sub: argparse._SubParsersAction) -> None:
    """Add `eval` to the `tthc` sub-commands."""
    ev = sub.add_parser("eval", help="đánh giá trên bộ câu hỏi vàng trong eval/")
    ev.add_argument("--gold", default="eval/gold/plans.jsonl")
    ev.add_argument(
        "--report",
        help="tệp báo cáo (mặc định eval/reports/retrieval.md); với --url: thư mục "
        f"(mặc định {RUNS})",
    )
    ev.add_argument("--decline", default="eval/gold/decline.jsonl")
    ev.add_argument(
        "--tune", action="store_true", help="dò trọng số kết hợp và ghi eval/reports/fusion.md"
    )
    ev.add_argument(
        "--calibrate", action="store_true", help="ghi bảng hiệu chỉnh ngưỡng từ chối trả lời"
    )
    ev.add_argument("--url", help="đánh giá một máy chủ đang chạy qua HTTP (docs/eval.md)")
    ev.add_argument(
        "--set",
        action="append",
        type=Path,
        metavar="FILE.jsonl",
        help="tệp câu hỏi vàng cho --url (lặp lại được; mặc định --gold và --decline)",
    )
    ev.add_argument("--baseline", type=Path, help="JSON của một lần chạy --url trước để so sánh")
    ev.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.url:
        return _remote(args)
    if args.set or args.baseline:
        raise SystemExit("--set và --baseline chỉ dùng cùng --url")
    args.report = args.report or "eval/reports/retrieval.md"
    from eval import answers, retrieval
    from service.engine import build_engine
    from service.settings import get_settings

    engine = build_engine(get_settings())
    # Loaded now, as before the model was loaded on first use: latencies stay comparable.
    getattr(engine.embedder, "model", lambda: None)()
    status = retrieval.main(engine, args)
    if not args.tune:
        status = status or answers.main(engine, args)
    return status


def _remote(args: argparse.Namespace) -> int:
    """Over HTTP; the evaluators' key comes from the settings (`TTHC_EVAL_API_KEY`)."""
    from eval import remote
    from service.settings import get_settings

    sets = args.set or [Path(args.gold), Path(args.decline)]
    report = Path(args.report or RUNS)
    return remote.main(args.url, sets, report, args.baseline, get_settings().eval_api_key)
