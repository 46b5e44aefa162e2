"""What the build computed for a chunk's text, kept by content hash: its token views and its
vector. Re-reading a file whose chunks did not change (an edited file, a moved one, a build
after the index was lost) segments and embeds only the texts never seen before.

    $TTHC_DATA_DIR/cache/ingest.sqlite3
      tokens(key, views)     views: the three token lists as JSON
      vectors(key, vector)   vector: float32 bytes, as many as the model's dimensions

Entries are written as they are computed, a group at a time, so a build killed midway
keeps what it did. A key is the sha256 of the text and of everything its value depends on:
the segmenter, the normaliser and the word lists for tokens (`build.tokens_namespace`), the
model and its dimensions for vectors (`vector_namespace`). After each build the cache keeps
the entries of the new generation only, so it never outgrows the index. It is a cache: a
damaged file is removed and rebuilt; the generation (checksums, pointer) is what serves.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

import numpy as np

from retriever.dense import Embedder
from retriever.segment import TokenViews

_BATCH = 500  # keys per `IN (…)`: far below SQLite's limit on bound parameters
# Texts segmented or embedded, then written, at a time: a build killed midway has kept all
# but the last group, and the next one starts from there.
_GROUP = 512
Done = Callable[[int, int], None]  # after each group: texts computed so far, of how many
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (key BLOB PRIMARY KEY, views TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL);
"""


def vector_namespace(embedder: Embedder, segmenter: str) -> str:
    """What a vector depends on besides its text: the model, its dimensions, and the segmenter
    and normaliser when the model reads word-segmented text (`segment.segmented_text`)."""
    joined = f"|segmented:{segmenter}" if getattr(embedder, "segmented", False) else ""
    return f"{embedder.name}|{embedder.dim}{joined}"


def _key(namespace: str, text: str) -> bytes:
    return hashlib.sha256(f"{namespace}\0{text}".encode()).digest()


def _batches(items: list, size: int = _BATCH) -> Iterator[list]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class Cache:
    """Token views and vectors by content hash, in one SQLite file under the data folder.
    One writer at a time: the build holds the data folder's lock while it uses it."""

    def __init__(self, connection: sqlite3.Connection, tokens_ns: str, vectors_ns: str):
        self._db = connection
        self._tokens_ns = tokens_ns
        self._vectors_ns = vectors_ns

    @classmethod
    @contextmanager
    def open(cls, folder: Path, tokens_ns: str, vectors_ns: str) -> Iterator[Cache]:
        folder.mkdir(parents=True, exist_ok=True)
        connection = _connect(folder / "ingest.sqlite3")
        try:
            yield cls(connection, tokens_ns, vectors_ns)
        finally:
            connection.close()

    def tokens(
        self,
        texts: list[str],
        segment: Callable[[list[str]], list[TokenViews]],
        done: Done | None = None,
    ) -> tuple[list[TokenViews], int]:
        """The token views of each text, and how many texts had to be segmented: `segment`
        gets the missing texts a group at a time (`done` is told after each group: how many
        so far, of how many)."""
        keys = [_key(self._tokens_ns, t) for t in texts]
        found = {k: TokenViews.from_json(json.loads(v)) for k, v in self._get("tokens", keys)}
        missing = {k: t for k, t in zip(keys, texts) if k not in found}
        if done and missing:
            done(0, len(missing))
        for n, group in enumerate(_batches(list(missing), _GROUP)):
            computed = dict(zip(group, segment([missing[k] for k in group])))
            self._put("tokens", [(k, _encode_views(v)) for k, v in computed.items()])
            found.update(computed)
            if done:
                done(n * _GROUP + len(group), len(missing))
        return [found[k] for k in keys], len(missing)

    def vectors(
        self, texts: list[str], embedder: Embedder, done: Done | None = None
    ) -> tuple[np.ndarray, int]:
        """One vector per text (row i for text i), and how many distinct texts the model
        embedded: longest first, as the model orders one call's batches, so that texts of a
        length share a batch across files."""
        keys = [_key(self._vectors_ns, t) for t in texts]
        found = {k: np.frombuffer(v, np.float32) for k, v in self._get("vectors", keys)}
        missing = {k: t for k, t in zip(keys, texts) if k not in found}
        longest_first = sorted(missing, key=lambda k: -len(missing[k]))
        if done and missing:
            done(0, len(missing))
        for n, group in enumerate(_batches(longest_first, _GROUP)):
            matrix = embedder.embed([missing[k] for k in group])
            computed = dict(zip(group, matrix))
            self._put("vectors", [(k, _encode_vector(v)) for k, v in computed.items()])
            found.update(computed)
            if done:
                done(n * _GROUP + len(group), len(missing))
        if not keys:
            return np.zeros((0, embedder.dim), np.float32), 0
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False), len(missing)

    def keep(self, tokens: set[str], vectors: dict[str, np.ndarray]) -> None:
        """Keep the entries of these texts only (a generation's) and drop every other one.
        The vectors the cache lacks are added (rows carried over from an index built before
        the cache: the model and its dimensions were checked before they were carried); token
        views are not, since the word lists they depend on are not checked when rows are."""
        with self._db:
            self._keep("tokens", {_key(self._tokens_ns, text): None for text in tokens})
            self._keep("vectors", {_key(self._vectors_ns, t): v for t, v in vectors.items()})

    def _keep(self, table: str, entries: dict[bytes, np.ndarray | None]) -> None:
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key BLOB PRIMARY KEY)")
        self._db.execute("DELETE FROM temp.keep")
        self._db.executemany("INSERT OR IGNORE INTO temp.keep VALUES (?)", ((k,) for k in entries))
        self._db.execute(f"DELETE FROM {table} WHERE key NOT IN (SELECT key FROM temp.keep)")
        missing = self._db.execute(
            f"SELECT key FROM temp.keep WHERE key NOT IN (SELECT key FROM {table})"
        ).fetchall()
        added = [(k, _encode_vector(v)) for (k,) in missing if (v := entries[k]) is not None]
        self._db.executemany(f"INSERT INTO {table} VALUES (?, ?)", added)

    def _get(self, table: str, keys: list[bytes]) -> Iterator[tuple[bytes, Any]]:
        column = "views" if table == "tokens" else "vector"
        for batch in _batches(list(dict.fromkeys(keys))):
            marks = ",".join("?" * len(batch))
            yield from self._db.execute(
                f"SELECT key, {column} FROM {table} WHERE key IN ({marks})", batch
            )

    def _put(self, table: str, rows: list[tuple[bytes, object]]) -> None:
        with self._db:
            self._db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", rows)


def _encode_views(views: TokenViews) -> str:
    return json.dumps(views.to_json(), ensure_ascii=False)


def _encode_vector(vector: np.ndarray) -> bytes:
    return np.asarray(vector, np.float32).tobytes()


def _connect(path: Path) -> sqlite3.Connection:
    """The cache's database; a file SQLite cannot read is a lost cache, started again."""
    for attempt in (1, 2):
        connection = sqlite3.connect(path)
        try:
            connection.executescript(_SCHEMA)
            connection.execute("SELECT count(*) FROM tokens").fetchone()
            return connection
        except sqlite3.DatabaseError:
            connection.close()
            if attempt == 2:
                raise
            path.unlink(missing_ok=True)
    raise AssertionError("unreachable")
