"""The thresholds and weights that decide answers, as one frozen object passed in.

Each default was chosen by measurement; the report that chose it is named beside it. An
evaluation that needs other values (say, support measured without declining on it) builds
its own `AnswerConfig` and an answerer with it; nothing patches module globals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerConfig:
    # Share of the question's (rarity-weighted) content words that the best passage must
    # hold: the grid in eval/reports/answers.md (`tthc eval --calibrate`).
    support_threshold: float = 0.5
    # The same measure for procedure questions, taken with the lexicon's wording added (a
    # citizen's `photo công chứng` is the record's `chứng thực bản sao`):
    # eval/reports/procedures.md.
    procedure_support_threshold: float = 0.4
    max_support: int = 2  # supporting lines after the lead
    # Answer accuracy on the gold set: 0.893 at 0.0 and 0.1, 0.902 at 0.2.
    length_penalty: float = 0.2
    retrieve_k: int = 8  # passages read for a plan question
    procedure_k: int = 40  # passages read, among procedures only, for a procedure question
    # Choosing the procedure (service/answer/procedure.py), on eval/gold/procedures.jsonl
    # (eval/reports/procedures.md): a hit on a record's list of related procedures speaks
    # for those at this discount; how much a name the question spells out adds; and the
    # bonus per syllable of a name whose every syllable is asked (holdout h021; dev unchanged).
    variants_discount: float = 0.8
    name_weight: float = 1.0
    specific_weight: float = 0.05
    # Share of the task words a duty must carry to answer "ai chủ trì X"
    # (eval/reports/duties.md).
    lead_match: float = 0.6
