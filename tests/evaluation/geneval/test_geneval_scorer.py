"""Golden tests of the GenEval scorer, each hand-computed from gen_edit_benchmarks.md section 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation.errors import BadInput
from evaluation.geneval.detections import Detection, ImageDetections
from evaluation.geneval.metadata import PromptMeta, parse_meta
from evaluation.geneval.scorer import (
    aggregate,
    filter_detections,
    relative_position,
    score_image,
    score_records,
)

F32_03 = float(np.float32(0.3))  # 0.30000001192092896: what the detector's float32 0.3 reads as
F32_03_NEXT = float(np.nextafter(np.float32(0.3), np.float32(1)))


def meta(obj: dict, index: int = 0) -> PromptMeta:
    return parse_meta(obj, index, Path("meta.jsonl"), index)


def det(label: str, score: float, box=(0, 0, 10, 10), color=None) -> Detection:
    return Detection(label, score, tuple(float(v) for v in box), color)


SINGLE = {"tag": "single_object", "include": [{"class": "dog", "count": 1}], "prompt": "a dog"}
COUNT2 = {
    "tag": "counting",
    "include": [{"class": "clock", "count": 2}],
    "exclude": [{"class": "clock", "count": 3}],
    "prompt": "a photo of two clocks",
}


def test_threshold_is_strict_and_float32():
    m = meta(SINGLE)
    assert not score_image(m, (det("dog", F32_03),)).correct
    assert not score_image(m, (det("dog", 0.3),)).correct  # 0.3 becomes float32(0.3)
    assert score_image(m, (det("dog", F32_03_NEXT),)).correct
    assert not score_image(m, (det("cat", 0.99),)).correct


def test_counting_uses_09_for_every_class_and_needs_exactly_n():
    m = meta(COUNT2)
    two = (det("clock", 0.95), det("clock", 0.92), det("clock", 0.85))
    assert score_image(m, two).correct  # 0.85 is below the counting threshold
    three = (det("clock", 0.95), det("clock", 0.92), det("clock", 0.91))
    result = score_image(m, three)
    assert not result.correct and "clock<3" in result.reason
    assert not score_image(m, (det("clock", 0.95), det("clock", 0.9))).correct  # 0.9 not > 0.9
    # The same detections under a non-counting tag keep 0.85 (threshold 0.3).
    assert len(filter_detections(two, threshold=0.3)["clock"]) == 3


def test_per_class_cap_of_16_applies_before_exclude():
    dets = tuple(det("clock", 0.95) for _ in range(20))
    assert len(filter_detections(dets)["clock"]) == 16
    m = meta({**COUNT2, "include": [{"class": "clock", "count": 16}], "exclude": []})
    assert score_image(m, dets).correct
    m17 = meta({**COUNT2, "include": [{"class": "clock", "count": 17}], "exclude": []})
    assert not score_image(m17, dets).correct


def test_sort_descending_with_later_recorded_first_on_ties():
    colors = {"tag": "colors", "include": [{"class": "car", "count": 1, "color": "red"}]}
    red_first = (det("car", 0.8, color="red"), det("car", 0.8, color="blue"))
    assert not score_image(meta({**colors, "prompt": "a red car"}), red_first).correct
    blue = {"tag": "colors", "include": [{"class": "car", "count": 1, "color": "blue"}]}
    assert score_image(meta({**blue, "prompt": "a blue car"}), red_first).correct
    # A higher score wins regardless of recording order.
    ordered = (det("car", 0.7, color="blue"), det("car", 0.9, color="red"))
    assert score_image(meta({**colors, "prompt": "a red car"}), ordered).correct


def test_colors_checks_only_the_top_detection():
    m = meta(
        {"tag": "colors", "include": [{"class": "car", "count": 1, "color": "red"}], "prompt": "p"}
    )
    assert not score_image(m, (det("car", 0.9, color="blue"), det("car", 0.5, color="red"))).correct
    assert score_image(m, (det("car", 0.9, color="red"), det("car", 0.5, color="blue"))).correct
    # Below-threshold detections are not classified at all.
    assert not score_image(m, (det("car", 0.2, color="red"),)).correct


def test_color_attr_needs_each_class_its_own_colour():
    m = meta(
        {
            "tag": "color_attr",
            "include": [
                {"class": "wine glass", "count": 1, "color": "purple"},
                {"class": "apple", "count": 1, "color": "black"},
            ],
            "prompt": "a photo of a purple wine glass and a black apple",
        }
    )
    good = (det("wine glass", 0.9, color="purple"), det("apple", 0.8, color="black"))
    swapped = (det("wine glass", 0.9, color="black"), det("apple", 0.8, color="purple"))
    assert score_image(m, good).correct
    assert not score_image(m, swapped).correct


def test_relative_position_margin_and_unrevised_norm():
    target = (0, 0, 100, 100)  # centre (50, 50), size 100 x 100
    # offset (144, 165), norm 219; x margin 0.1 * (245 + 100) = 34.5 -> dx = 109.5 / 219 = 0.5
    # exactly, which is not > 0.5; y margin 20 -> dy = 145 / 219 = 0.662 -> below.
    assert relative_position((71.5, 165, 316.5, 265), target) == {"below"}
    # width 244: margin 34.4 -> dx = 109.6 / 219 = 0.50046 -> also right of.
    assert relative_position((72, 165, 316, 265), target) == {"below", "right of"}
    # offset (30, 0): margin 0.1 * 200 = 20 -> revised 10, divided by 30 -> 0.33: no relation.
    assert relative_position((30, 0, 130, 100), target) == set()
    # offset (-30, 0) with smaller boxes: margin 0.1 * (20 + 100) = 12 -> -18 / 30 = -0.6: left of.
    assert relative_position((-30, 40, -10, 60), (0, 0, 100, 100)) == {"left of"}
    # Same centre: the revised offset is zero on both axes.
    assert relative_position((40, 40, 60, 60), target) == set()
    # A diagonal can satisfy two relations at once.
    assert relative_position((300, -300, 310, -290), target) == {"right of", "above"}


POSITION = {
    "tag": "position",
    "include": [
        {"class": "teddy bear", "count": 1},
        {"class": "dog", "count": 1, "position": ["right of", 0]},
    ],
    "prompt": "a photo of a dog right of a teddy bear",
}


def test_position_uses_top1_of_each_and_needs_the_target():
    m = meta(POSITION)
    bear, right_dog = det("teddy bear", 0.9, (0, 0, 50, 50)), det("dog", 0.9, (200, 0, 250, 50))
    left_dog = det("dog", 0.95, (-300, 0, -250, 50))
    assert score_image(m, (bear, right_dog)).correct
    assert not score_image(m, (bear, left_dog)).correct
    # The more confident (left) dog is the one checked, even if a right dog exists.
    assert not score_image(m, (bear, right_dog, left_dog)).correct
    # Missing target: the dog cannot be placed, the image is wrong.
    result = score_image(m, (right_dog,))
    assert not result.correct and "no target" in result.reason


def test_aggregate_is_mean_of_tag_scores_not_of_images():
    s, t = meta(SINGLE, 0), meta({**SINGLE, "tag": "two_object", "prompt": "b"}, 1)
    s2 = meta({**SINGLE, "prompt": "c"}, 2)
    results = [(s, True), (s, False), (s2, False), (s2, False), (t, True)]
    scores = aggregate(results)
    assert scores["categories"] == {"single_object": 0.25, "two_object": 1.0}
    assert scores["overall"] == pytest.approx(0.625)  # not 2/5 = 0.4
    assert scores["correct_images"] == pytest.approx(0.4)
    assert scores["correct_prompts"] == pytest.approx(2 / 3)  # prompts s and t have a hit
    assert scores["n_prompts"] == 3
    assert "counting" in scores["missing_categories"]


def test_score_records_rejects_unknown_index_and_missing_colour():
    metas = [meta(SINGLE)]
    with pytest.raises(BadInput, match="img.png: prompt index 5"):
        score_records(metas, [ImageDetections(5, "img.png", ())])
    m = meta(
        {"tag": "colors", "include": [{"class": "car", "count": 1, "color": "red"}], "prompt": "p"}
    )
    with pytest.raises(BadInput, match="has no colour"):
        score_records([m], [ImageDetections(0, "x.png", (det("car", 0.9),))])
