"""Scene graphs of the shapes world: objects, rendered words, and random non-overlapping layouts.

A scene is the ground truth every other part of the generator derives from (pixels, captions,
edits, VQA answers). Coordinates are displayed pixels; a box is ``[x1, y1, x2, y2]`` with
``x2``/``y2`` exclusive (numpy slicing), and it is the tight bounding box of the drawn pixels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

# GenEval's ten colour names, with RGB values far apart from each other and from the background.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 20, 20),
    "orange": (255, 140, 0),
    "yellow": (255, 230, 0),
    "green": (20, 160, 40),
    "blue": (30, 60, 220),
    "purple": (130, 40, 180),
    "pink": (255, 120, 200),
    "brown": (120, 70, 20),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
}
COLOR_NAMES: tuple[str, ...] = tuple(COLORS)
BACKGROUND: tuple[int, int, int] = (190, 190, 190)  # light grey: no colour name is near it

# Shapes chosen to differ in classical features (fill ratio of the box, aspect, convexity, where
# the mass sits): square 1.0, circle 0.79, hexagon 0.75 (aspect 0.87), triangle 0.5 (mass low),
# diamond 0.5 (mass centred), star ~0.33 (non-convex).
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "hexagon", "diamond")
HEXAGON_ASPECT = 0.866  # height / width of a regular hexagon with a vertex left and right

TEXT_WORDS: tuple[str, ...] = (
    "CAT", "DOG", "SUN", "STOP", "OPEN", "HELLO", "MOON", "TREE", "BOOK", "FISH",
    "STAR", "GO", "EXIT", "PARK", "RAIN", "SALE", "HOME", "BIRD", "KITE", "LAMP",
)  # fmt: skip
TEXT_COLORS: tuple[str, ...] = ("black", "white", "blue", "red", "purple")
OBJECT_MARGIN = 4  # free pixels between any two items and between items and the image border
MAX_OBJECTS = 4
MIN_FONT_SIZE = 10
PLACEMENT_TRIES = 60

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ShapeObject:
    """One filled shape of a named colour, drawn to exactly fill ``box``."""

    shape: str
    color: str
    box: Box

    @property
    def center(self) -> tuple[int, int]:
        """Integer centre of the box; always a pixel of the shape (also for stars/triangles)."""
        x1, y1, x2, y2 = self.box
        return (x1 + x2) // 2, (y1 + y2) // 2

    @property
    def label(self) -> str:
        """Human phrase such as ``red circle``."""
        return f"{self.color} {self.shape}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "color": self.color,
            "box": list(self.box),
            "center": list(self.center),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ShapeObject:
        return cls(shape=d["shape"], color=d["color"], box=_box(d["box"]))


@dataclass(frozen=True)
class TextItem:
    """An uppercase word drawn without antialiasing; ``box`` is its tight pixel box."""

    text: str
    color: str
    box: Box
    font_size: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "color": self.color,
            "box": list(self.box),
            "font_size": self.font_size,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TextItem:
        return cls(d["text"], d["color"], _box(d["box"]), int(d["font_size"]))


def _object_key(o: ShapeObject) -> tuple:
    return (o.box, o.shape, o.color)


@dataclass(frozen=True)
class Scene:
    """Image size, background and items; objects are kept in reading order (by box)."""

    width: int
    height: int
    objects: tuple[ShapeObject, ...] = ()
    texts: tuple[TextItem, ...] = ()
    background: tuple[int, int, int] = field(default=BACKGROUND)

    def __post_init__(self) -> None:
        # Canonical order makes scene equality independent of how a scene was built (edits).
        object.__setattr__(self, "objects", tuple(sorted(self.objects, key=_object_key)))
        object.__setattr__(self, "texts", tuple(self.texts))

    def with_objects(self, objects: list[ShapeObject] | tuple[ShapeObject, ...]) -> Scene:
        return Scene(self.width, self.height, tuple(objects), self.texts, self.background)

    def count(self, color: str | None = None, shape: str | None = None) -> int:
        """Number of objects matching the given colour and/or shape."""
        return sum(
            (color is None or o.color == color) and (shape is None or o.shape == shape)
            for o in self.objects
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "background": list(self.background),
            "objects": [o.to_dict() for o in self.objects],
            "texts": [t.to_dict() for t in self.texts],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scene:
        return cls(
            width=int(d["width"]),
            height=int(d["height"]),
            objects=tuple(ShapeObject.from_dict(o) for o in d["objects"]),
            texts=tuple(TextItem.from_dict(t) for t in d.get("texts", [])),
            background=tuple(d.get("background", BACKGROUND)),
        )


def _box(values: Any) -> Box:
    x1, y1, x2, y2 = (int(v) for v in values)
    return x1, y1, x2, y2


def shape_height(shape: str, width: int) -> int:
    """Box height of ``shape`` for a box ``width`` pixels wide (only the hexagon is not square)."""
    return max(3, round(width * HEXAGON_ASPECT)) if shape == "hexagon" else width


def box_around(shape: str, center: tuple[int, int], width: int) -> Box:
    """Box of ``shape`` with the given width whose ``center`` property is ``center``."""
    h = shape_height(shape, width)
    x1, y1 = center[0] - width // 2, center[1] - h // 2
    return x1, y1, x1 + width, y1 + h


def boxes_clear(a: Box, b: Box, margin: int = OBJECT_MARGIN) -> bool:
    """True if the boxes are at least ``margin`` pixels apart on some axis."""
    return (
        a[2] + margin <= b[0]
        or b[2] + margin <= a[0]
        or a[3] + margin <= b[1]
        or b[3] + margin <= a[1]
    )


def box_inside(box: Box, width: int, height: int, margin: int = OBJECT_MARGIN) -> bool:
    """True if the box keeps ``margin`` pixels from every image border."""
    x1, y1, x2, y2 = box
    return min(x1, y1) >= margin and x2 <= width - margin and y2 <= height - margin


def scene_boxes(scene: Scene, skip: ShapeObject | None = None) -> list[Box]:
    """All occupied boxes (objects and texts), optionally without one object."""
    boxes = [o.box for o in scene.objects if o != skip]
    return boxes + [t.box for t in scene.texts]


def fits(scene: Scene, box: Box, skip: ShapeObject | None = None) -> bool:
    """Whether ``box`` lies in the image and clear of every other item of the scene."""
    inside = box_inside(box, scene.width, scene.height)
    return inside and all(boxes_clear(box, b) for b in scene_boxes(scene, skip))


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled font at ``size`` pixels (no font files needed)."""
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=1024)
def text_offset(text: str, size: int) -> Box:
    """Tight pixel box of ``text`` drawn at origin (0, 0) without antialiasing."""
    pad = size
    probe = Image.new("1", (size * (len(text) + 2), size * 3))
    draw = ImageDraw.Draw(probe)
    draw.fontmode = "1"  # no antialiasing: text pixels are exactly the text colour
    draw.text((pad, pad), text, font=font(size), fill=1)
    x1, y1, x2, y2 = probe.getbbox()
    return x1 - pad, y1 - pad, x2 - pad, y2 - pad


def object_size_range(width: int, height: int) -> tuple[int, int]:
    """Smallest and largest object width that suits an image of this size."""
    short = min(width, height)
    lo = max(6, short // 6)
    return lo, max(lo, short // 3)


def sample_object(
    rng: random.Random, scene: Scene, shape: str, color: str, tries: int = PLACEMENT_TRIES
) -> ShapeObject | None:
    """A ``shape`` of ``color`` at a random free spot of ``scene``, or None if none was found."""
    lo, hi = object_size_range(scene.width, scene.height)
    for _ in range(tries):
        w = rng.randint(lo, hi)
        h = shape_height(shape, w)
        x_hi, y_hi = scene.width - OBJECT_MARGIN - w, scene.height - OBJECT_MARGIN - h
        if x_hi < OBJECT_MARGIN or y_hi < OBJECT_MARGIN:
            continue
        x1, y1 = rng.randint(OBJECT_MARGIN, x_hi), rng.randint(OBJECT_MARGIN, y_hi)
        box = (x1, y1, x1 + w, y1 + h)
        if fits(scene, box):
            return ShapeObject(shape, color, box)
    return None


def sample_text(rng: random.Random, scene: Scene) -> TextItem | None:
    """A random word placed in a free spot of ``scene``, or None if the image is too small."""
    word = rng.choice(TEXT_WORDS)
    color = rng.choice(TEXT_COLORS)
    max_size = min(scene.height // 4, scene.width // (len(word) + 1))
    if max_size < MIN_FONT_SIZE:
        return None
    size = rng.randint(MIN_FONT_SIZE, max_size)
    dx1, dy1, dx2, dy2 = text_offset(word, size)
    w, h = dx2 - dx1, dy2 - dy1
    for _ in range(PLACEMENT_TRIES):
        x_hi, y_hi = scene.width - OBJECT_MARGIN - w, scene.height - OBJECT_MARGIN - h
        if x_hi < OBJECT_MARGIN or y_hi < OBJECT_MARGIN:
            return None
        x1, y1 = rng.randint(OBJECT_MARGIN, x_hi), rng.randint(OBJECT_MARGIN, y_hi)
        box = (x1, y1, x1 + w, y1 + h)
        if fits(scene, box):
            return TextItem(word, color, box, size)
    return None


def distinct_specs(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """``n`` different (shape, colour) pairs, so every object has a unique description."""
    pairs = [(s, c) for s in SHAPES for c in COLOR_NAMES]
    return rng.sample(pairs, n)


def sample_scene(
    rng: random.Random,
    width: int,
    height: int,
    n_objects: int | None = None,
    with_text: bool = False,
    same_kind: bool = False,
) -> Scene:
    """Random scene with 1-4 non-overlapping objects (fewer if the image is too crowded).

    ``same_kind`` gives ``n`` copies of one coloured shape (counting scenes); otherwise every
    object has a distinct (shape, colour) pair. Text, if asked for, is placed first because it is
    the widest item.
    """
    n = n_objects if n_objects is not None else rng.randint(1, MAX_OBJECTS)
    scene = Scene(width, height)
    if with_text:
        text = sample_text(rng, scene)
        scene = Scene(width, height, texts=(text,) if text else ())
    specs = [distinct_specs(rng, 1)[0]] * n if same_kind else distinct_specs(rng, n)
    objects: list[ShapeObject] = []
    for shape, color in specs:
        obj = sample_object(rng, scene.with_objects(objects), shape, color)
        if obj is not None:
            objects.append(obj)
    if not objects:  # always at least one object: shrink until something fits
        obj = sample_object(rng, scene, specs[0][0], specs[0][1], tries=PLACEMENT_TRIES * 10)
        objects = [obj] if obj is not None else []
    return scene.with_objects(objects)


def scale_scene(scene: Scene, factor: float) -> Scene:
    """The same layout on an image ``factor`` times as large (objects only; texts dropped)."""

    def scale(box: Box) -> Box:
        return _box(round(v * factor) for v in box)

    objects = [ShapeObject(o.shape, o.color, scale(o.box)) for o in scene.objects]
    w, h = round(scene.width * factor), round(scene.height * factor)
    return Scene(w, h, tuple(objects), (), scene.background)
