"""The product's shape, checked by `make lint` (and so by CI):

- no function in ingest/, retriever/ or service/ longer than 60 lines (a newcomer reads one
  at once);
- nothing in ingest/, retriever/ or service/ imports `eval` (the product never needs its
  own evaluation to run);
- nothing in ingest/ imports `retriever` or `service` (reading documents knows nothing of
  the index or the server).

    python -m eval.shape        # exit 1 and one line per finding, 0 when the shape holds
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("ingest", "retriever", "service")
MAX_FUNCTION_LINES = 60
# What each room may not import, besides what every room may not.
FORBIDDEN = {"ingest": {"eval", "retriever", "service"}, "retriever": {"eval"}, "service": {"eval"}}


def imported(node: ast.AST) -> Iterator[str]:
    """The top-level package names an import statement brings in (relative imports stay in
    their own package, so they name none)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name.split(".")[0]
    elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
        yield node.module.split(".")[0]


def findings(path: Path, room: str, shown: str) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield (
                    f"{shown}:{node.lineno}: function {node.name} is {length} lines "
                    f"(at most {MAX_FUNCTION_LINES})"
                )
        for name in imported(node):
            if name in FORBIDDEN[room]:
                yield f"{shown}:{node.lineno}: {room}/ imports {name}"


def check(root: Path) -> list[str]:
    found: list[str] = []
    for room in ROOMS:
        for path in sorted((root / room).rglob("*.py")):
            found.extend(findings(path, room, path.relative_to(root).as_posix()))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to check")
    args = parser.parse_args(argv)
    found = check(args.root)
    for line in found:
        print(line)
    if found:
        print(f"shape: {len(found)} finding(s)", file=sys.stderr)
        return 1
    print("shape: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
