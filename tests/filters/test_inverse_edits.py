"""The inverse-instruction rules: exact inverses of the phrasings they read, None for the ones
they cannot invert for sure, and the shapes world's own instructions inverted as it inverts them."""

from __future__ import annotations

import random

import pytest

from corpus.shapes import apply_edit, describe, invert
from corpus.shapes.captions import phrase_en
from corpus.shapes.world import sample_edit_pair
from filters.operators import inverse_edits

ONE_WAY = [
    # add <-> remove, replace: the objects, without where they are
    ("add a dog", "remove the dog"),
    ("Add a dog next to the tree.", "Remove the dog."),
    ("Add a red circle at the top left.", "Remove the red circle."),
    ("Insert an umbrella in her hand", "Remove the umbrella"),
    ("Add some flowers in the vase", "Remove the flowers"),
    ("remove the cat", "add a cat"),
    ("Remove the cat from the sofa.", "Add a cat."),
    ("Delete the apple", "Add an apple"),
    ("Erase the two birds", "Add two birds"),
    ("Remove the birds", "Add birds"),
    ("Remove the glass", "Add a glass"),
    ("Replace the cat on the sofa with a dog", "Replace the dog with a cat"),
]

BOTH_WAYS = [
    # recolour: the colour named in the object phrase is the one to go back to
    ("turn the red car blue", "turn the blue car red"),
    ("Make the red car blue.", "Make the blue car red."),
    (
        "Change the colour of the red circle to blue.",
        "Change the colour of the blue circle to red.",
    ),
    ("change the car from red to blue", "change the car from blue to red"),
    ("paint the white wall grey", "paint the grey wall white"),
    # move: a bare direction is a shift, shifted back
    ("move the cup up", "move the cup down"),
    ("Shift the lamp slightly left.", "Shift the lamp slightly right."),
    ("push the box right", "push the box left"),
    # replace: swapped, articles moved along
    ("replace the apple with an orange", "replace the orange with an apple"),
    ("Replace the red circle with a red square.", "Replace the red square with a red circle."),
    ("change the red apple to a green apple", "change the green apple to a red apple"),
    ("Turn the cat into a dog", "Turn the dog into a cat"),
]

NOT_INVERTED = [
    "change the car's color to red",  # red from what colour?
    "make the car red",
    "Move the red circle to the top left.",  # a destination: from where?
    "Move the red circle to the centre.",
    "move the cup to the left",
    "Move the red circle to the top.",
    "Move the cup to the left side of the image.",
    "move the cup to the left of the plate",
    "move the left cup to the right",
    "Replace the background with a beach",  # the whole image, not one object
    "Change the background to red",
    "turn the photo into a painting",
    "make it look like a Van Gogh painting",
    "adjust the brightness",
    "Change the weather to rainy",
    "Turn the day into night",
    "Add a hat and remove the scarf",  # several edits
    "Add a dog, then make it brown",
    "add sunglasses to the woman",  # no determiner: not parsed
    "Remove the cat's collar",
    "make the red car red",
    "",
    "Add.",
]


@pytest.mark.parametrize(("forward", "inverse"), ONE_WAY + BOTH_WAYS)
def test_rules_write_the_exact_inverse(forward, inverse):
    assert inverse_edits.invert(forward) == inverse


@pytest.mark.parametrize("forward", NOT_INVERTED)
def test_rules_do_not_guess(forward):
    assert inverse_edits.invert(forward) is None


@pytest.mark.parametrize(("forward", "inverse"), BOTH_WAYS)
def test_recolour_move_and_replace_inverses_invert_back(forward, inverse):
    assert inverse_edits.invert(inverse) == forward


@pytest.mark.parametrize("edit_type", ["add", "remove", "recolour", "move", "replace"])
def test_shapes_instructions_are_inverted_as_the_shapes_world_inverts_them(edit_type):
    rng = random.Random(7)
    for _ in range(60):
        scene, edit = sample_edit_pair(rng, edit_type)
        forward = describe(edit, scene)
        expected = describe(invert(edit), apply_edit(scene, edit))
        rule = inverse_edits.invert(forward)
        if edit_type == "remove":  # where the object was is not in the instruction
            assert rule == f"Add {phrase_en(edit.before.color, edit.before.shape)}."
        elif edit_type == "move":  # the world names destinations: where from, the judge says
            assert rule is None
        else:
            assert rule == expected
