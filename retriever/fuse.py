"""Score fusion: a weighted sum of each retriever's scores, each scaled by its own maximum.

We measured weighted reciprocal-rank fusion first (eval/reports/fusion.md): with a weak
retriever in the mix (the English embedding model on Vietnamese), RRF lets that retriever's
rank-1 guess outvote a strong lexical match, and MRR@10 fell from 0.85 to 0.54. Scaled
scores keep a weak signal a tie-breaker, which is what the measurements asked for.
"""

from __future__ import annotations

import numpy as np


def fuse(scores: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted sum of per-retriever scores, each divided by its maximum (negatives → 0).

    >>> fuse({"a": np.array([2.0, 1.0]), "b": np.array([0.0, 4.0])}, {"a": 1.0, "b": 0.5}).tolist()
    [1.0, 1.0]
    """
    total: np.ndarray | None = None
    for name, weight in weights.items():
        if weight <= 0 or name not in scores:
            continue
        values = np.clip(np.asarray(scores[name], dtype=np.float64), 0.0, None)
        top = values.max() if values.size else 0.0
        part = weight * (values / top if top > 0 else values)
        total = part if total is None else total + part
    if total is None:
        size = len(next(iter(scores.values()))) if scores else 0
        return np.zeros(size)
    return total
