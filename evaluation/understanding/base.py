"""What every understanding suite shares: the suite record, scoring context, MCQ resolution and
percentage breakdowns. The package ``__init__`` registers every suite module in ``SUITES``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from evaluation.registry import Registry
from evaluation.understanding.extract import can_infer
from evaluation.understanding.judge import Judge
from evaluation.understanding.tsv import options as row_options

Row = dict[str, str]
Record = dict[str, Any]
T = TypeVar("T")
U = TypeVar("U")
PERCENT = 100.0


@dataclass
class Context:
    judge: Judge = field(default_factory=Judge)
    profile: str = "vlmevalkit"
    concurrency: int = 1  # items resolved at once when a judge is active (HTTP judges)
    mmvp_corrected: bool = False  # MMVP: swap the two disputed pairs' labels (lmms-eval data)


def judge_map(fn: Callable[[T], U], items: list[T], ctx: Context) -> list[U]:
    """``[fn(x) for x in items]`` in input order, on ``ctx.concurrency`` threads when a judge
    may be called (judge calls dominate; the rule-only path stays single-threaded)."""
    if not ctx.judge.active or ctx.concurrency <= 1 or len(items) < 2:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=ctx.concurrency) as pool:
        return list(pool.map(fn, items))


@dataclass(frozen=True)
class Suite:
    """A benchmark: its VLMEvalKit data names (with MD5s), prompt kind, scorer and profiles."""

    name: str
    md5: dict[str, str]  # VLMEvalKit TSV name -> MD5 it enforces
    kind: str  # prompt family: "mcq", "yes_no" or "vqa"
    score: Callable[[list[Row], Context], tuple[list[Record], dict[str, Any]]]
    profiles: tuple[str, ...] = ("vlmevalkit",)
    scale: str = "accuracy, %"


SUITES: Registry[Suite] = Registry("suite")


def resolve_mcq(
    row: Row, judge: Judge, opts: dict[str, str] | None = None
) -> tuple[str | None, str]:
    """(letter, how): how is "rule", "judge", "random" or "none" (unresolved)."""
    opts = row_options(row) if opts is None else opts
    letter = can_infer(row.get("prediction", ""), opts)
    if letter:
        return letter, "rule"
    return judge.mcq(row.get("question", ""), opts, row.get("prediction", ""))


def percent(hits: Iterable[float]) -> float:
    values = list(hits)
    return PERCENT * sum(values) / len(values) if values else float("nan")


def breakdown(records: list[Record], key: str, value: str = "hit") -> dict[str, float]:
    """Percentage of ``value`` per distinct ``key`` (records without the key are skipped)."""
    groups: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.get(key) not in (None, ""):
            groups[str(r[key])].append(float(r[value]))
    return {k: percent(v) for k, v in sorted(groups.items())}


def extracted_records(
    rows: list[Row],
    ctx: Context,
    keep: tuple[str, ...],
    resolve: Callable[[Row], tuple[str | None, str]],
) -> list[Record]:
    """One record per row: the kept columns, the answer ``resolve`` extracted, how it was
    decided, and whether it equals the row's answer."""
    out = []
    for row, (answer, how) in zip(rows, judge_map(resolve, rows, ctx), strict=True):
        record = {k: row.get(k) for k in ("index", *keep)}
        record.update(
            prediction=row.get("prediction", ""),
            answer=row.get("answer"),
            extracted=answer,
            decided_by=how,
            hit=answer == row.get("answer"),
        )
        out.append(record)
    return out


def mcq_records(rows: list[Row], ctx: Context, keep: tuple[str, ...]) -> list[Record]:
    """Plain MCQ: one record per row with the extracted letter and how it was decided."""
    return extracted_records(rows, ctx, keep, lambda row: resolve_mcq(row, ctx.judge))


def decided_share(records: list[Record]) -> dict[str, float]:
    """Share of items decided by rule, judge, random fallback, or left unresolved."""
    counts: dict[str, int] = defaultdict(int)
    for r in records:
        counts[r.get("decided_by", "rule")] += 1
    return {k: v / len(records) for k, v in sorted(counts.items())} if records else {}


def score_plain_mcq(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    """Micro-averaged MCQ accuracy with per-category and per-l2-category breakdowns."""
    records = mcq_records(rows, ctx, ("category", "l2-category", "split", "question"))
    categories = breakdown(records, "category")
    return records, {
        "overall": percent(r["hit"] for r in records),
        "categories": categories,
        "l2_categories": breakdown(records, "l2-category"),
        "decided_by": decided_share(records),
    }


def resolve_yes_no(row: Row, ctx: Context, official: bool = False) -> tuple[str, str]:
    """(Yes | No | Unknown, how): VLMEvalKit words rule then the judge, or the official rule."""
    from evaluation.understanding.extract import UNKNOWN, yes_no_official, yes_no_vlmevalkit

    prediction = row.get("prediction", "")
    if official:
        return yes_no_official(prediction), "rule"
    answer = yes_no_vlmevalkit(prediction)
    if answer != UNKNOWN or not ctx.judge.active:
        return answer, "rule" if answer != UNKNOWN else "none"
    answer = ctx.judge.yes_no(row.get("question", ""), prediction)
    return answer, "judge" if answer != UNKNOWN else "none"


def yes_no_records(
    rows: list[Row], ctx: Context, keep: tuple[str, ...], official: bool
) -> list[Record]:
    return extracted_records(rows, ctx, keep, lambda row: resolve_yes_no(row, ctx, official))
