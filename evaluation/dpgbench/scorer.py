"""DPG-Bench scoring, equal to the official ``compute_dpg_one_sample`` (spec 2.5-2.7).

Two profiles: ``official`` (default) reproduces the published numbers with their quirks: the CSV's
first row is skipped, a missing parent id drops the whole image from every mean, and category
scores pool the *last* tile's raw answers (before dependency zeroing). ``fixed`` keeps the first
row, ignores parent ids an item lacks, and pools every tile's dependency-zeroed answers, so that
categories measure the same thing as the overall score.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from evaluation.dpgbench.answers import ImageAnswers
from evaluation.dpgbench.questions import NO_PARENT, ItemQuestions
from evaluation.errors import BadInput

YES = "yes"  # an answer scores 1 only if it equals this exactly (spec 2.4)
SCALE = 100.0  # the benchmark reports 100 x the mean (spec 2.6)


@dataclass(frozen=True)
class Profile:
    name: str
    skip_first_row: bool
    missing_parent_fails: bool
    categories_last_tile_raw: bool


PROFILES = {
    "official": Profile("official", True, True, True),
    "fixed": Profile("fixed", False, False, False),
}


class MissingParent(Exception):
    """The official KeyError: a dependency names a proposition the item does not have."""


def zero_dependencies(s: dict[int, float], deps: dict[int, list[int]], strict: bool) -> None:
    """In place: a question whose first zero parent (in listed order) is found becomes 0."""
    for qid, parents in deps.items():
        for parent in parents:
            if parent == NO_PARENT:
                continue
            if parent not in s:
                if strict:
                    raise MissingParent(f"proposition {qid} depends on missing {parent}")
                continue
            if s[parent] == 0:
                s[qid] = 0.0
                break


def _tile_answers(
    questions: ItemQuestions, answers: dict[int, str], source: str, image: str, tile: int
) -> dict[int, float]:
    missing = [q for q in questions.questions if q not in answers]
    if missing:
        raise BadInput(source, image, f"tile {tile} has no answer for propositions {missing}")
    return {qid: 1.0 if answers[qid] == YES else 0.0 for qid in questions.questions}


def score_image(
    questions: ItemQuestions, answers: ImageAnswers, profile: Profile, source: str = "answers"
) -> tuple[float, list[float], list[dict[int, float]]]:
    """(image score, tile scores, per-tile answers used for categories) of one image."""
    tile_scores, for_categories = [], []
    for tile in sorted(answers.tiles):
        s = _tile_answers(questions, answers.tiles[tile], source, answers.image, tile)
        raw = dict(s)
        zero_dependencies(s, questions.dependencies, profile.missing_parent_fails)
        tile_scores.append(sum(s.values()) / len(s))
        for_categories.append(raw if profile.categories_last_tile_raw else s)
    if profile.categories_last_tile_raw:
        for_categories = for_categories[-1:]
    return sum(tile_scores) / len(tile_scores), tile_scores, for_categories


def category_names(dsg_tuple: str) -> tuple[str, str]:
    """(L1, L2) of a DSG tuple: ``attribute - color (x, y)`` -> (attribute, attribute - color)."""
    l2 = dsg_tuple.split("(")[0].strip()
    return l2.split("-")[0].strip(), l2


def _record(image: ImageAnswers, **fields: Any) -> dict[str, Any]:
    return {"item_id": image.item_id, "image": image.image, **fields}


def score_answers(
    table: dict[str, ItemQuestions],
    images: list[ImageAnswers],
    profile: Profile = PROFILES["official"],
    source: str = "answers.jsonl",
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-image records and the DPG-Bench scores; failed images are recorded, not averaged."""
    rows, image_scores = [], []
    pooled: dict[str, dict[str, list[float]]] = {"l1": defaultdict(list), "l2": defaultdict(list)}
    for answers in images:
        questions = table.get(answers.item_id)
        if questions is None:
            rows.append(_record(answers, failed="item_id not in the question table", score=None))
            continue
        try:
            score, tiles, for_categories = score_image(questions, answers, profile, source)
        except MissingParent as e:
            rows.append(_record(answers, failed=str(e), score=None))
            continue
        image_scores.append(score)
        for s in for_categories:
            for qid, value in s.items():
                l1, l2 = category_names(questions.tuples[qid])
                pooled["l2"][l2].append(value)
                pooled["l1"][l1].append(value)
        rows.append(
            _record(
                answers,
                failed=None,
                score=score,
                tile_scores=tiles,
                answers={str(t): a for t, a in sorted(answers.tiles.items())},
            )
        )
    return rows, _aggregate(image_scores, pooled, len(rows), profile)


def _aggregate(
    image_scores: list[float],
    pooled: dict[str, dict[str, list[float]]],
    n_images: int,
    profile: Profile,
) -> dict[str, Any]:
    def pct(values: list[float]) -> float:
        return SCALE * sum(values) / len(values) if values else float("nan")

    return {
        "overall": pct(image_scores),
        "categories": {k: pct(v) for k, v in sorted(pooled["l1"].items())},
        "categories_l2": {k: pct(v) for k, v in sorted(pooled["l2"].items())},
        "n_images": n_images,
        "n_scored": len(image_scores),
        "n_failed": n_images - len(image_scores),
        "profile": profile.name,
    }
