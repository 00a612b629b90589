"""GenEval for the shapes world: prompts in the official metadata format over shapes and colours.

Classes are the world's shapes, colours GenEval's ten. Prompts use the corpus caption phrasing
(``a photo of a red circle to the right of a blue square``), so a model trained on the shapes world
is asked in its own language; every object is given a colour (the world always has one), which is
only checked in the ``colors`` and ``color_attr`` tags, as in GenEval. ``reference_scene`` builds a
scene that satisfies a prompt: rendered, it is the upper bound a perfect generator reaches.
"""

from __future__ import annotations

import random
from typing import Any

from corpus.shapes.captions import join_en, phrase_en
from corpus.shapes.scene import COLOR_NAMES, SHAPES, Scene, ShapeObject, box_around
from evaluation.geneval.metadata import RELATIONS, TAGS, PromptMeta

PER_TAG = 16  # prompts per tag of the default shapes set (96 prompts)
COUNTS = (2, 3, 4)  # GenEval counting uses 2-4 (spec 1.1)
RELATION_PHRASE = {r: ("to the " + r if "of" in r else r) for r in RELATIONS}
SCENE_SIZE = 256
OBJECT_WIDTH = 48


def _pair(rng: random.Random) -> list[tuple[str, str]]:
    return [(s, c) for s, c in zip(rng.sample(SHAPES, 2), rng.sample(COLOR_NAMES, 2), strict=True)]


def _prompt(tag: str, rng: random.Random) -> dict[str, Any]:
    (s1, c1), (s2, c2) = _pair(rng)
    if tag == "single_object":
        return {"include": [{"class": s1, "count": 1}], "d": phrase_en(c1, s1)}
    if tag == "two_object":
        inc = [{"class": s1, "count": 1}, {"class": s2, "count": 1}]
        return {"include": inc, "d": join_en([phrase_en(c1, s1), phrase_en(c2, s2)])}
    if tag == "counting":
        n = rng.choice(COUNTS)
        return {
            "include": [{"class": s1, "count": n}],
            "exclude": [{"class": s1, "count": n + 1}],
            "d": phrase_en(c1, s1, n),
        }
    if tag == "colors":
        return {"include": [{"class": s1, "count": 1, "color": c1}], "d": phrase_en(c1, s1)}
    if tag == "position":
        rel = rng.choice(RELATIONS)
        inc = [{"class": s2, "count": 1}, {"class": s1, "count": 1, "position": [rel, 0]}]
        d = f"{phrase_en(c1, s1)} {RELATION_PHRASE[rel]} {phrase_en(c2, s2)}"
        return {"include": inc, "d": d}
    inc = [{"class": s1, "count": 1, "color": c1}, {"class": s2, "count": 1, "color": c2}]
    return {"include": inc, "d": join_en([phrase_en(c1, s1), phrase_en(c2, s2)])}


def shapes_metadata(per_tag: int = PER_TAG, seed: int = 0) -> list[dict[str, Any]]:
    """Metadata lines (official format and tag order), deterministic in ``seed``."""
    rng = random.Random(seed)
    lines = []
    for tag in TAGS:
        for _ in range(per_tag):
            p = _prompt(tag, rng)
            line = {"tag": tag, "include": p["include"]}
            if "exclude" in p:
                line["exclude"] = p["exclude"]
            line["prompt"] = f"a photo of {p['d']}"
            lines.append(line)
    return lines


# Where clause objects go in a reference scene: a row for counts, offsets for relations.
PLACE = {"left of": (-1, 0), "right of": (1, 0), "above": (0, -1), "below": (0, 1)}


def _colors(meta: PromptMeta) -> list[str]:
    """Colours named in the prompt, in clause order (the prompt's phrases carry them)."""
    words = meta.prompt.split()
    return [w for w in words if w in COLOR_NAMES]


def reference_scene(meta: PromptMeta, size: int = SCENE_SIZE) -> Scene:
    """A scene satisfying ``meta``'s include clauses and none of its exclude clauses."""
    colors = _colors(meta)
    if meta.tag == "position":  # the prompt names the moving object (clause 1) first
        colors = colors[::-1]
    objects: list[ShapeObject] = []
    step = size // 4
    for i, clause in enumerate(meta.include):
        color = clause.color or colors[min(i, len(colors) - 1)]
        if clause.position is not None:
            dx, dy = PLACE[clause.position[0]]
            center = (size // 2 + dx * step, size // 2 + dy * step)
        elif len(meta.include) == 2 and meta.include[1].position is not None:
            center = (size // 2, size // 2)
        else:
            center = (step + i * 2 * step, size // 2)
        for k in range(clause.count):
            c = (center[0], center[1] + (k - (clause.count - 1) / 2) * (step * 3 // 4))
            box = box_around(clause.cls, (int(c[0]), int(c[1])), OBJECT_WIDTH // 2)
            objects.append(ShapeObject(clause.cls, color, box))
    return Scene(size, size, tuple(objects))
