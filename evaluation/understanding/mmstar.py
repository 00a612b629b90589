"""MMStar: 1,500 four-option MCQs (understanding_suites.md 3.2).

``vlmevalkit``: VLMEvalKit's choice extraction; the overall is the micro average over items.
``lmms_eval``: ``mcq_extract`` (the highest-priority answer format found, its last occurrence;
no judge), and the overall is the macro mean over the l2 categories (18 sub-axes), a different
statistic; the micro average is reported next to it. Both profiles give both breakdowns."""

from __future__ import annotations

import statistics
from typing import Any

from evaluation.understanding.base import (
    Context,
    Record,
    Row,
    Suite,
    breakdown,
    decided_share,
    extracted_records,
    percent,
    score_plain_mcq,
)
from evaluation.understanding.extract import mcq_extract
from evaluation.understanding.tsv import options

KEEP = ("category", "l2-category", "question")


def resolve_lmms_eval(row: Row) -> tuple[str, str]:
    """(letter or "", how): lmms-eval's format-priority extraction over the row's letters."""
    letter, _ = mcq_extract(row.get("prediction", ""), "".join(options(row)))
    return letter, "rule" if letter else "none"


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    if ctx.profile != "lmms_eval":
        return score_plain_mcq(rows, ctx)
    records = extracted_records(rows, ctx, KEEP, resolve_lmms_eval)
    l2_categories = breakdown(records, "l2-category")
    return records, {
        "overall": statistics.fmean(l2_categories.values()) if l2_categories else float("nan"),
        "micro_average": percent(r["hit"] for r in records),
        "categories": breakdown(records, "category"),
        "l2_categories": l2_categories,
        "decided_by": decided_share(records),
    }


SUITE = Suite(
    "mmstar",
    {"MMStar": "e1ecd2140806c1b1bbf54b43372efb9e"},
    "mcq",
    score,
    profiles=("vlmevalkit", "lmms_eval"),
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mmstar"))
