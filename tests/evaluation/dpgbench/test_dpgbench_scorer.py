"""Golden tests of the DPG-Bench scorer, hand-computed from gen_edit_benchmarks.md section 2."""

from __future__ import annotations

import json

import pytest
from dpg_tables import write_dpg_table

from evaluation.dpgbench.answers import read_answers
from evaluation.dpgbench.questions import PROMPTS_FILE, load_prompts, load_questions
from evaluation.dpgbench.scorer import PROFILES, category_names, score_answers
from evaluation.errors import BadInput

# (item_id, proposition_id, dependency, tuple); the first row is what the official script skips.
ROWS = [
    ("first", 1, "0", "entity - whole (cat)"),
    ("first", 2, "1", "attribute - color (cat, black)"),
    ("a", 1, "0", "entity - whole (dog)"),
    ("a", 2, "1", "attribute - color (dog, brown)"),
    ("a", 3, "1,2", "relation - spatial (dog, sofa, on)"),
    ("chain", 1, "0", "entity - whole (box)"),
    ("chain", 2, "1", "attribute - size (box, big)"),
    ("chain", 3, "2", "attribute - color (box, red)"),
    ("later", 1, "0", "entity - whole (cup)"),
    ("later", 2, "3", "attribute - color (cup, blue)"),
    ("later", 3, "1", "global - (photo)"),
    ("reach", 1, "0", "entity - whole (pen)"),
    ("reach", 2, "0", "other - count (pen, ==2)"),
    ("reach", 3, "2,9", "attribute - texture (pen, wood)"),
]


def write_answers(path, per_image: dict[str, list[list[str]]]):
    """per_image: item_id -> per tile, answers for propositions 1..n in order."""
    with path.open("w") as f:
        for item, tiles in per_image.items():
            for t, answers in enumerate(tiles):
                for qid, ans in enumerate(answers, start=1):
                    row = {"item_id": item, "image": f"{item}.png", "tile": t}
                    f.write(json.dumps({**row, "proposition_id": qid, "answer": ans}) + "\n")
    return path


def run(tmp_path, per_image, profile="official", rows=ROWS):
    table = load_questions(
        write_dpg_table(tmp_path / "dpg.csv", rows), PROFILES[profile].skip_first_row
    )
    images = read_answers(write_answers(tmp_path / "answers.jsonl", per_image))
    return score_answers(table, images, PROFILES[profile])


def by_item(rows):
    return {r["item_id"]: r for r in rows}


def test_yes_only_and_dependency_zeroing_per_tile(tmp_path):
    tiles = [
        ["yes", "yes", "yes"],  # 1
        ["no", "yes", "yes"],  # q1=0 zeroes q2, q3 (first parent 1 is 0): 0
        ["yes", "no", "yes"],  # q3's parents: 1 ok, 2 is 0 -> q3=0: 1/3
        ["Yes", "yes", "yes."],  # "Yes" != "yes": q1=0 -> all 0
    ]
    rows, scores = run(tmp_path, {"a": tiles})
    assert by_item(rows)["a"]["tile_scores"] == pytest.approx([1, 0, 1 / 3, 0])
    assert scores["overall"] == pytest.approx(100 * (4 / 3) / 4)


def test_zeros_cascade_down_chains(tmp_path):
    rows, _ = run(tmp_path, {"chain": [["no", "yes", "yes"]]})
    assert by_item(rows)["chain"]["score"] == 0.0  # q2 zeroed by q1, then q3 by the zeroed q2


def test_parent_listed_later_is_read_before_its_own_zeroing(tmp_path):
    # q2 depends on q3 (still 1 when q2 is checked); q3 then is zeroed by q1.
    rows, _ = run(tmp_path, {"later": [["no", "yes", "yes"]]})
    assert by_item(rows)["later"]["score"] == pytest.approx(1 / 3)


def test_first_row_skip_drops_the_item_through_a_missing_parent(tmp_path):
    per_image = {"first": [["yes", "yes"]], "a": [["yes", "yes", "no"]]}
    rows, scores = run(tmp_path, per_image)
    # official: "first" lost its proposition 1; the check of q2's parent 1 raises -> dropped.
    assert by_item(rows)["first"]["score"] is None
    assert "missing 1" in by_item(rows)["first"]["failed"]
    assert scores["n_failed"] == 1 and scores["n_scored"] == 1
    assert scores["overall"] == pytest.approx(100 * 2 / 3)
    # fixed: the first row is kept and the item scores.
    rows, scores = run(tmp_path, per_image, profile="fixed")
    assert by_item(rows)["first"]["score"] == 1.0
    assert scores["overall"] == pytest.approx(100 * (1 + 2 / 3) / 2)


def test_missing_parent_only_fails_when_the_check_reaches_it(tmp_path):
    # q3 lists parents 2, 9: with q2 = 0 the check stops before 9 -> scored (q3 zeroed).
    rows, _ = run(tmp_path, {"reach": [["yes", "no", "yes"]]})
    assert by_item(rows)["reach"]["score"] == pytest.approx(1 / 3)
    # with q2 = 1 the check reaches 9 -> the official KeyError drops the image.
    rows, scores = run(tmp_path, {"reach": [["yes", "yes", "yes"]]})
    assert by_item(rows)["reach"]["score"] is None and scores["n_scored"] == 0
    rows, _ = run(tmp_path, {"reach": [["yes", "yes", "yes"]]}, profile="fixed")
    assert by_item(rows)["reach"]["score"] == 1.0


def test_categories_pool_the_last_tiles_raw_answers(tmp_path):
    per_image = {
        # last tile: q1 no, q2 yes, q3 yes -> raw (un-zeroed) answers 0, 1, 1
        "a": [
            ["yes", "yes", "yes"],
            ["yes", "yes", "yes"],
            ["yes", "yes", "yes"],
            ["no", "yes", "yes"],
        ],
        # one tile: raw 1, 1, 0
        "chain": [["yes", "yes", "no"]],
    }
    _, scores = run(tmp_path, per_image)
    l2 = scores["categories_l2"]
    assert l2["entity - whole"] == pytest.approx(50.0)  # a:0, chain:1
    assert l2["attribute - color"] == pytest.approx(50.0)  # a:1 (raw, not zeroed), chain:0
    assert l2["relation - spatial"] == 100.0 and l2["attribute - size"] == 100.0
    # L1 pools the L2 lists: attribute = a.q2 (1), chain.q2 (1), chain.q3 (0)
    assert scores["categories"]["attribute"] == pytest.approx(200 / 3)
    assert scores["overall"] == pytest.approx(100 * ((1 + 1 + 1 + 0) / 4 + 2 / 3) / 2)
    # fixed: every tile, after zeroing: entity 3 of 5 tiles hit, a.q2 zeroed on the last tile.
    _, fixed = run(tmp_path, per_image, profile="fixed")
    assert fixed["categories_l2"]["entity - whole"] == pytest.approx(100 * 4 / 5)
    assert fixed["categories_l2"]["attribute - color"] == pytest.approx(100 * 3 / 5)


def test_category_names():
    assert category_names("global - (photo)") == ("global", "global -")
    assert category_names("other - count (cabbages, ==8)") == ("other", "other - count")


def test_unknown_item_fails_and_missing_answer_is_bad_input(tmp_path):
    rows, scores = run(tmp_path, {"nope": [["yes"]], "a": [["yes", "yes", "yes"]]})
    assert by_item(rows)["nope"]["failed"] and scores["n_scored"] == 1
    with pytest.raises(BadInput, match=r"a.png: tile 0 has no answer for propositions \[3\]"):
        run(tmp_path, {"a": [["yes", "yes"]]})


def test_official_prompt_files():
    prompts = load_prompts(PROMPTS_FILE.bundled)
    assert len(prompts) == 1065
    assert sum(k.startswith("partiprompts") for k in prompts) == 324
    assert sum(k.isdigit() for k in prompts) == 299 and "159" not in prompts
    assert all(p and "\n" not in p for p in prompts.values())
