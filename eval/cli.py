"""`tthc eval`: the evaluation's own sub-command, plugged into the product's CLI through the
`tthc.commands` entry point (pyproject.toml), so that the product never imports `eval`."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add `eval` to the `tthc` sub-commands."""
    ev = sub.add_parser("eval", help="đánh giá trên bộ câu hỏi vàng trong eval/")
    ev.add_argument("--gold", default="eval/gold/plans.jsonl")
    ev.add_argument("--report", default="eval/reports/retrieval.md")
    ev.add_argument("--decline", default="eval/gold/decline.jsonl")
    ev.add_argument(
        "--tune", action="store_true", help="dò trọng số kết hợp và ghi eval/reports/fusion.md"
    )
    ev.add_argument(
        "--calibrate", action="store_true", help="ghi bảng hiệu chỉnh ngưỡng từ chối trả lời"
    )
    ev.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
