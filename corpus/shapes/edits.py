"""Invertible edits of a scene: add, remove, recolour, move and replace one object.

An edit is ``(before, after)``: the object taken out of the scene and the object put in (either may
be None). Swapping the two gives the inverse edit, so ``apply_edit(apply_edit(s, e), invert(e))``
is ``s`` exactly. Instructions name objects by colour and shape, which the sampler keeps unique in
both the source and the target scene so that every instruction is unambiguous.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from corpus.shapes.captions import phrase_en, region_en
from corpus.shapes.scene import (
    COLOR_NAMES,
    MAX_OBJECTS,
    PLACEMENT_TRIES,
    SHAPES,
    Scene,
    ShapeObject,
    box_around,
    fits,
    sample_object,
)

EDIT_TYPES: tuple[str, ...] = ("add", "remove", "recolour", "move", "replace")
INVERSE_TYPE: dict[str, str] = {
    "add": "remove",
    "remove": "add",
    "recolour": "recolour",
    "move": "move",
    "replace": "replace",
}


@dataclass(frozen=True)
class Edit:
    """One object change; ``before`` is None for add, ``after`` is None for remove."""

    edit_type: str
    before: ShapeObject | None
    after: ShapeObject | None


def apply_edit(scene: Scene, edit: Edit) -> Scene:
    """The scene after ``edit``; raises ValueError if ``edit.before`` is not in the scene."""
    objects = list(scene.objects)
    if edit.before is not None:
        objects.remove(edit.before)
    if edit.after is not None:
        objects.append(edit.after)
    return scene.with_objects(objects)


def invert(edit: Edit) -> Edit:
    """The edit that undoes ``edit``."""
    return Edit(INVERSE_TYPE[edit.edit_type], edit.after, edit.before)


def diff(source: Scene, target: Scene) -> Edit:
    """Recover the single-object edit that turns ``source`` into ``target``."""
    gone = [o for o in source.objects if o not in target.objects]
    new = [o for o in target.objects if o not in source.objects]
    if len(gone) > 1 or len(new) > 1 or not (gone or new):
        raise ValueError("scenes do not differ by exactly one object edit")
    before, after = (gone or [None])[0], (new or [None])[0]
    if before is None or after is None:
        return Edit("add" if before is None else "remove", before, after)
    if before.shape != after.shape:
        return Edit("replace", before, after)
    return Edit("recolour" if before.color != after.color else "move", before, after)


def move_target(scene: Scene, box_region: str) -> str:
    """``at the top left`` -> ``to the top left`` (destination phrase for move)."""
    return "to " + box_region.split(" ", 1)[1]


def describe(edit: Edit, scene: Scene) -> str:
    """English instruction for applying ``edit`` to ``scene``."""
    b, a = edit.before, edit.after
    if edit.edit_type == "add":
        return f"Add {phrase_en(a.color, a.shape)} {region_en(scene, a.box)}."
    if edit.edit_type == "remove":
        return f"Remove the {b.label}."
    if edit.edit_type == "recolour":
        return f"Change the colour of the {b.label} to {a.color}."
    if edit.edit_type == "move":
        return f"Move the {b.label} {move_target(scene, region_en(scene, a.box))}."
    return f"Replace the {b.label} with {phrase_en(a.color, a.shape)}."


def _free_kinds(scene: Scene, skip: ShapeObject | None) -> set[tuple[str, str]]:
    """(shape, colour) pairs no other object of the scene has (so a new one stays unique)."""
    used = {(o.shape, o.color) for o in scene.objects if o != skip}
    return {(s, c) for s in SHAPES for c in COLOR_NAMES} - used


def _unique_objects(scene: Scene) -> list[ShapeObject]:
    return [o for o in scene.objects if scene.count(o.color, o.shape) == 1]


def _sample_add(rng: random.Random, scene: Scene) -> Edit | None:
    if len(scene.objects) >= MAX_OBJECTS:
        return None
    shape, color = rng.choice(sorted(_free_kinds(scene, None)))
    obj = sample_object(rng, scene, shape, color)
    return Edit("add", None, obj) if obj else None


def _sample_remove(rng: random.Random, scene: Scene) -> Edit | None:
    objs = _unique_objects(scene)
    return Edit("remove", rng.choice(objs), None) if len(scene.objects) >= 2 and objs else None


def _sample_recolour(rng: random.Random, scene: Scene) -> Edit | None:
    before = rng.choice(_unique_objects(scene))
    colors = sorted(c for s, c in _free_kinds(scene, before) if s == before.shape)
    colors = [c for c in colors if c != before.color]
    after = ShapeObject(before.shape, rng.choice(colors), before.box)
    return Edit("recolour", before, after)


def _sample_move(rng: random.Random, scene: Scene) -> Edit | None:
    before = rng.choice(_unique_objects(scene))
    x1, y1, x2, y2 = before.box
    w, h = x2 - x1, y2 - y1
    for _ in range(PLACEMENT_TRIES):
        nx, ny = rng.randint(0, scene.width - w), rng.randint(0, scene.height - h)
        box = (nx, ny, nx + w, ny + h)
        if fits(scene, box, skip=before) and region_en(scene, box) != region_en(scene, before.box):
            return Edit("move", before, ShapeObject(before.shape, before.color, box))
    return None


def _sample_replace(rng: random.Random, scene: Scene) -> Edit | None:
    before = rng.choice(_unique_objects(scene))
    shapes = sorted(s for s, c in _free_kinds(scene, before) if c == before.color)
    shapes = [s for s in shapes if s != before.shape]
    shape = rng.choice(shapes)
    box = box_around(shape, before.center, before.box[2] - before.box[0])
    return (
        Edit("replace", before, ShapeObject(shape, before.color, box))
        if fits(scene, box, skip=before)
        else None
    )


SAMPLERS = {
    "add": _sample_add,
    "remove": _sample_remove,
    "recolour": _sample_recolour,
    "move": _sample_move,
    "replace": _sample_replace,
}


def sample_edit(rng: random.Random, scene: Scene, edit_type: str) -> Edit | None:
    """A random ``edit_type`` edit of ``scene`` with unambiguous wording, or None if none fits."""
    if not _unique_objects(scene) and edit_type != "add":
        return None
    return SAMPLERS[edit_type](rng, scene)
