"""Deterministic "shapes world": synthetic raw data with a known scene graph (DESIGN.md s. 9).

``generate(out, size, seed)`` writes an image folder with sidecars, a jsonl listing, edit
triplets and LLaVA conversations, plus realistic mess (mixed formats and sizes, EXIF rotation,
near-duplicates, broken files). ``render_scene`` draws any scene exactly.
"""

from corpus.shapes.captions import caption
from corpus.shapes.edits import EDIT_TYPES, Edit, apply_edit, describe, diff, invert, sample_edit
from corpus.shapes.mess import BROKEN_DETAILS, BROKEN_KINDS
from corpus.shapes.render import render_scene
from corpus.shapes.scene import (
    BACKGROUND,
    COLORS,
    SHAPES,
    Scene,
    ShapeObject,
    TextItem,
    sample_scene,
)
from corpus.shapes.vqa import conversation
from corpus.shapes.world import SIZES, generate

__all__ = [
    "BACKGROUND",
    "BROKEN_DETAILS",
    "BROKEN_KINDS",
    "COLORS",
    "EDIT_TYPES",
    "SHAPES",
    "SIZES",
    "Edit",
    "Scene",
    "ShapeObject",
    "TextItem",
    "apply_edit",
    "caption",
    "conversation",
    "describe",
    "diff",
    "generate",
    "invert",
    "render_scene",
    "sample_edit",
    "sample_scene",
]
