"""Recipes: every shipped recipe loads; malformed ones fail naming the step and the fix."""

from __future__ import annotations

import pytest
from filter_helpers import RECIPES

from filters.recipe import RecipeError, load_recipe, parse_recipe, with_overrides


@pytest.mark.parametrize("path", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_recipes_load(path):
    recipe = load_recipe(path)
    assert recipe.steps and recipe.digest() == load_recipe(path).digest()


def test_shipped_recipes_cover_the_issue():
    names = {p.stem for p in RECIPES.glob("*.yaml")}
    assert {"demo", "sft_generation", "edit_pairing", "cot_annotate"} <= names


def test_errors_name_the_step_and_suggest_fixes():
    with pytest.raises(RecipeError, match="step 1 .*did you mean 'min_side'"):
        parse_recipe({"steps": [{"op": "resolution", "min_sid": 3}]})
    with pytest.raises(RecipeError, match="expected int"):
        parse_recipe({"steps": [{"op": "resolution", "min_side": "big"}]})
    with pytest.raises(RecipeError, match="unique"):
        parse_recipe({"steps": [{"op": "decode"}, {"op": "decode"}]})
    with pytest.raises(RecipeError, match="vlm_score must come after edit_pairing"):
        parse_recipe({"steps": [{"op": "vlm_score"}, {"op": "edit_pairing"}]})
    with pytest.raises(RecipeError, match="one of"):
        parse_recipe({"steps": [{"op": "decode", "any_or_all": "most"}]})


def test_stages_split_after_dataset_level_steps_and_overrides_keep_the_rest():
    recipe = parse_recipe({"steps": [{"op": "resolution"}, {"op": "dedup"}, {"op": "decode"}]})
    assert [[s.name for s in st] for st in recipe.stages()] == [["resolution", "dedup"], ["decode"]]
    changed = with_overrides(recipe, ["dedup.max_distance=2"])
    assert changed.step("dedup").params.max_distance == 2
    assert changed.step("resolution") == recipe.step("resolution")
    with pytest.raises(RecipeError, match="STEP.PARAM=VALUE"):
        with_overrides(recipe, ["max_distance=2"])
