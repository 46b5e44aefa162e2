"""The `tthc` command: ingest, search, ask, duties, serve (and `eval`, added by eval/cli.py)."""

from __future__ import annotations

import argparse
import importlib.metadata
import datetime
import json
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from retriever.build import Report, Step
from retriever.dense import ModelError
from retriever.scope import Scope
from retriever.search import MODES, Filters
from retriever.store import IndexMissing
from service.export import to_csv, to_ics
from service.settings import get_settings
from service.sources import Sources

# Progress lines for a handful of files; a bar beyond that, on a terminal only (in a log a
# bar is one endless line of carriage returns).
_BAR_FROM = 5
_NAMES_SHOWN = 8  # names listed per kind of change; `--json` lists them all


def _engine():
    from service.engine import build_engine

    return build_engine(get_settings())


def _names(names: list[str]) -> str:
    """A few names and how many more: a crawl's 2,642 names made one 40,000-character line."""
    more = len(names) - _NAMES_SHOWN
    return ", ".join(names[:_NAMES_SHOWN]) + (f" … và {more} tệp khác" if more > 0 else "")


def _print_report(report: Report) -> None:
    def show(label: str, names: list[str]) -> None:
        if names:
            print(f"{label} ({len(names)}): {_names(names)}")

    show("Thêm mới", report.added)
    show("Cập nhật", report.updated)
    show("Gỡ bỏ", report.removed)
    show("Không đổi, bỏ qua", report.unchanged)
    for name, reason in report.failed.items():
        print(f"LỖI {name}: {reason}")
    if report.changed:
        print(
            f"Đã ghi chỉ mục {report.generation}: {report.chunks} đoạn, {report.seconds:.1f} giây."
        )
    else:
        print(f"Không có thay đổi; chỉ mục {report.generation} giữ nguyên ({report.chunks} đoạn).")


class _PhaseLines(logging.Handler):
    """The build's one line per phase (`retriever.build.Phase`), on stderr, above the bar."""

    def __init__(self, write):
        super().__init__(logging.INFO)
        self._write = write

    def emit(self, record: logging.LogRecord) -> None:
        self._write(record.getMessage())


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from retriever.build import find_files

    sources = Sources.default(get_settings())
    paths = [Path(p) for p in args.paths] or sources.paths
    select = None if args.paths else sources.select  # named paths are taken whole
    engine = _engine()
    total = len(find_files(paths, select)[0])
    lines = total <= _BAR_FROM
    bar = tqdm(total=total, unit="tệp", file=sys.stderr, disable=lines or not sys.stderr.isatty())

    phase = ["read"]

    def progress(step: Step) -> None:
        """A line per step for a handful of files; else one bar, started again per phase (its
        count and ETA are the phase's)."""
        if lines:
            print(step, file=sys.stderr, flush=True)
        elif not bar.disable:
            if step.phase != phase[0]:
                phase[0] = step.phase
                bar.reset(total=step.total)
                bar.unit = "tệp" if step.phase == "read" else "đoạn"
            bar.set_description(str(step).split("] ", 1)[-1][:60], refresh=False)
            bar.update(step.done - bar.n)

    # The phase lines go to stderr through this handler only: a library imported on the way
    # may give the root logger a handler of its own, which would print each line twice.
    build_log = logging.getLogger("tthc.build")
    handler = _PhaseLines(lambda line: tqdm.write(line, file=sys.stderr))
    build_log.addHandler(handler)
    build_log.setLevel(logging.INFO)
    build_log.propagate = False
    try:
        report = engine.ingest(paths, progress, select)
    finally:
        build_log.removeHandler(handler)
        build_log.propagate = True
        bar.close()
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0


def _filters(args: argparse.Namespace) -> Filters | None:
    if args.commune or args.kind or args.year:
        return Filters(commune=args.commune, kind=args.kind, year=args.year)
    return None


def cmd_search(args: argparse.Namespace) -> int:
    hits = _engine().search(
        args.query, k=args.k, filters=_filters(args), mode=args.mode, scope=Scope.PUBLIC
    )
    results = [h.citation(n) for n, h in enumerate(hits, start=1)]
    if args.json:
        print(json.dumps({"results": results}, ensure_ascii=False, indent=2))
        return 0
    if not results:
        print("Không tìm thấy đoạn văn bản nào phù hợp.")
    for r in results:
        page = f", trang {r['page']}" if r["page"] else ""
        print(
            f"[{r['n']}] {r['score']:.2f}  {r['title']}{page}\n"
            f"    {r['section'] or '(phần mở đầu)'}"
        )
        print("    " + r["text"].replace("\n", "\n    ")[:600] + "\n")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    result = _engine().ask(args.question, filters=_filters(args), scope=Scope.PUBLIC)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(result.answer + "\n")
    for c in result.citations:
        page = f", trang {c['page']}" if c["page"] else ""
        print(f"[{c['n']}] {c['title']}{page} — {c['section'] or '(phần mở đầu)'}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app
    from service.privacy import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)  # one redacted JSON line per event, uvicorn's too
    log = logging.getLogger("tthc.serve")
    engine = _engine()
    if not engine.store.exists():
        log.info(
            "Chưa có chỉ mục: đang nạp tài liệu",
            extra={
                "fields": {
                    "data_dir": str(settings.data_dir),
                    "sources": Sources.default(settings).describe(),
                }
            },
        )
        # One log line per phase (the build's logger), one per failed file, one summary: a
        # line per file of a crawl would be thousands, and the failures in one line too long.
        report = engine.ingest_default()
        for name, reason in report.failed.items():
            log.warning("Không nạp được tệp", extra={"fields": {"file": name, "reason": reason}})
        log.info(
            "Đã nạp chỉ mục",
            extra={
                "fields": {
                    "generation": report.generation,
                    "chunks": report.chunks,
                    "added": len(report.added),
                    "failed": len(report.failed),
                    "seconds": round(report.seconds, 1),
                }
            },
        )
    engine.load()
    warm = getattr(engine.embedder, "warm", None)
    if warm is not None:  # the model loads while the server starts taking questions
        warm(threads=1)
    # Requests are logged by the app (route template, status, time; never the query string),
    # so uvicorn's own access log, which would print the raw URL, stays off.
    uvicorn.run(
        create_app(settings, engine),
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        log_config=None,
        access_log=False,
        timeout_keep_alive=5,
    )
    return 0


def _iso_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"ngày không hợp lệ: {text!r} (dạng YYYY-MM-DD, ví dụ 2026-06-30)"
        ) from None


def cmd_duties(args: argparse.Namespace) -> int:
    found = _engine().duties(
        unit=args.unit or "",
        commune=args.commune or "",
        due_before=args.due_before,
        q=args.q or "",
        role=args.role,
        scope=Scope.PUBLIC,
    )
    if args.format == "csv":
        sys.stdout.write(to_csv(found))
    elif args.format == "ics":
        sys.stdout.write(to_ics(found))
    elif args.json:
        print(json.dumps({"duties": [d.to_json() for d in found]}, ensure_ascii=False, indent=2))
    elif not found:
        print("Không có nhiệm vụ nào khớp bộ lọc.")
    else:
        for d in found:
            due = d.deadline_text or d.recurrence or "không ghi thời hạn"
            date = f" (đến {d.due_date})" if d.due_date else ""
            print(
                f"- [{d.commune}] {d.task}\n"
                f"  chủ trì: {'; '.join(d.leads) or 'không ghi'}; thời hạn: {due}{date}"
            )
        print(f"{len(found)} nhiệm vụ.")
    return 0


_SOURCES_HELP = (
    "tệp hoặc thư mục (mặc định: corpus/ và các thủ tục cấp xã của Cổng DVCQG "
    "nếu có ../shared/data/dvcqg-procedures hoặc TTHC_PORTAL_DIR)"
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tthc", description="Hỏi đáp, tra cứu thủ tục hành chính và kế hoạch CCHC cấp xã."
    )
    sub = p.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="nạp tài liệu và cập nhật chỉ mục")
    ingest.add_argument("paths", nargs="*", help=_SOURCES_HELP)
    ingest.add_argument("--json", action="store_true", help="tóm tắt dạng JSON: mọi tệp, mọi bước")
    ingest.set_defaults(func=cmd_ingest)

    search = sub.add_parser("search", help="tìm đoạn văn bản liên quan")
    search.add_argument("query")
    search.add_argument("--json", action="store_true")
    search.add_argument("-k", type=int, default=10)
    search.add_argument("--commune")
    search.add_argument("--kind", choices=["plan", "procedure"])
    search.add_argument("--year", type=int)
    search.add_argument("--mode", choices=MODES, default="hybrid")
    search.set_defaults(func=cmd_search)

    ask = sub.add_parser("ask", help="hỏi một câu, trả lời kèm trích dẫn")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--commune")
    ask.add_argument("--kind", choices=["plan", "procedure"])
    ask.add_argument("--year", type=int)
    ask.set_defaults(func=cmd_ask)

    duties = sub.add_parser("duties", help="liệt kê nhiệm vụ trong các kế hoạch (như /api/duties)")
    duties.add_argument(
        "--unit", help="đơn vị chủ trì, viết kiểu nào cũng được (Trung tâm PVHCC, TT PVHCC…)"
    )
    duties.add_argument("--commune", help="xã")
    duties.add_argument(
        "--due-before", type=_iso_date, help="hạn chót không muộn hơn ngày này (YYYY-MM-DD)"
    )
    duties.add_argument("--q", help="tìm theo nội dung nhiệm vụ")
    duties.add_argument(
        "--role",
        choices=["lead", "partner", "any"],
        default="lead",
        help="đơn vị là chủ trì (mặc định), phối hợp, hoặc một trong hai",
    )
    duties.add_argument("--json", action="store_true")
    duties.add_argument(
        "--format", choices=["text", "csv", "ics"], default="text", help="csv hoặc ics để xuất tệp"
    )
    duties.set_defaults(func=cmd_duties)

    serve = sub.add_parser("serve", help="chạy máy chủ HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    # Sub-commands other packages add (`tthc eval`, from eval/cli.py), by entry point.
    for plugin in importlib.metadata.entry_points(group="tthc.commands"):
        plugin.load()(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    text = getattr(args, "query", None) or getattr(args, "question", None)
    if text is not None and not text.strip():
        print("Câu hỏi không được để trống.", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (IndexMissing, ModelError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except ValidationError as exc:  # a TTHC_* setting the settings object refused
        print(_settings_problems(exc), file=sys.stderr)
        return 2


_WANTED = {
    "int_parsing": "cần một số nguyên",
    "float_parsing": "cần một số",
    "bool_parsing": "cần true hoặc false",
}


def _settings_problems(exc: ValidationError) -> str:
    """One Vietnamese line per refused setting, naming its variable (`TTHC_INGEST_WORKERS`)."""
    lines = ["Cấu hình không hợp lệ:"]
    for error in exc.errors():
        name = "TTHC_" + "_".join(str(part) for part in error["loc"]).upper()
        if error["type"] == "value_error":  # our own validators speak Vietnamese
            lines.append("- " + str(error["msg"]).removeprefix("Value error, "))
        else:
            wanted = _WANTED.get(error["type"], "giá trị không hợp lệ")
            lines.append(f"- {name}={error.get('input')!r}: {wanted}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
