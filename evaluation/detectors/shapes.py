"""A classical detector for the shapes world: colour segmentation + template shape classification.

Every pixel is assigned to the nearest of the world's ten named colours or its background (if it
is within ``COLOR_TOLERANCE``); each 8-connected component of one colour is a candidate object.
Its shape is the world shape whose template, drawn into the component's box by the generator's
own renderer, overlaps the component best; the score is that IoU times the agreement of the box's
aspect with the shape's. On ground-truth renders every object scores exactly 1.0 with its true
box, so GenEval-style scores of the shapes world are exact measurements.

A component narrower than half the world's smallest object for the image's size is not an
object: a generator's patch-sized speckles would otherwise count as small squares and pass
GenEval's "at least one <class>" clauses by chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from corpus.shapes.render import draw_object
from corpus.shapes.scene import (
    BACKGROUND,
    COLORS,
    SHAPES,
    ShapeObject,
    object_size_range,
    shape_height,
)
from evaluation.geneval.detections import Detection

COLOR_TOLERANCE = 60.0  # max RGB distance to a palette colour; farther pixels are unassigned
MIN_SIDE = 4  # components with a box side below this are noise, not objects
MIN_OBJECT_SHARE = 0.5  # ... and so are those below this share of the smallest world object
MIN_SCORE = 0.6  # candidates below this (text glyphs, fragments) are not reported
MAX_HOLE_SHARE = 0.05  # filled shapes have no holes; glyphs like "O" or "A" do
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class ShapesDetectorConfig:
    color_tolerance: float = COLOR_TOLERANCE
    min_side: int = MIN_SIDE
    min_object_share: float = MIN_OBJECT_SHARE
    min_score: float = MIN_SCORE

    def smallest_side(self, width: int, height: int) -> int:
        """Box sides below this are not objects in an image of this size."""
        smallest_object, _ = object_size_range(width, height)
        return max(self.min_side, int(smallest_object * self.min_object_share))


@lru_cache(maxsize=4096)
def template(shape: str, box: tuple[int, int, int, int]) -> np.ndarray:
    """Boolean mask of ``shape`` drawn to fill ``box``, cropped to the box.

    Drawn at the box's true position: Pillow's polygon fill is not exactly translation-invariant
    (one pixel can differ), and exactness on ground-truth renders depends on it.
    """
    x1, y1, x2, y2 = box
    canvas = Image.new("RGB", (x2, y2), (0, 0, 0))
    draw_object(ImageDraw.Draw(canvas), ShapeObject(shape, "white", box))
    return np.asarray(canvas)[y1:y2, x1:x2, 0] == 255


def classify(mask: np.ndarray, box: tuple[int, int, int, int]) -> tuple[str, float]:
    """(best shape, score) for a component's mask cropped to its ``box``."""
    h, w = mask.shape
    best, best_score = SHAPES[0], -1.0
    for shape in SHAPES:
        t = template(shape, box)
        iou = np.logical_and(t, mask).sum() / np.logical_or(t, mask).sum()
        expected_h = shape_height(shape, w)
        score = float(iou) * min(h, expected_h) / max(h, expected_h)
        if score > best_score:
            best, best_score = shape, score
    return best, best_score


def palette_labels(rgb: np.ndarray, tolerance: float) -> np.ndarray:
    """Per pixel: index into ``COLORS`` (0-9), 10 for background, -1 for unassigned."""
    palette = np.array([*COLORS.values(), BACKGROUND], dtype=np.int32)
    dist = ((rgb[:, :, None, :].astype(np.int32) - palette[None, None]) ** 2).sum(-1)
    labels = dist.argmin(-1)
    labels[dist.min(-1) > tolerance**2] = -1
    return labels


def detect_shapes(
    image: Image.Image, config: ShapesDetectorConfig = ShapesDetectorConfig()
) -> list[Detection]:
    """All shape objects of ``image`` with their colour, exclusive-corner box and score."""
    rgb = np.asarray(image.convert("RGB"))
    labels = palette_labels(rgb, config.color_tolerance)
    min_side = config.smallest_side(*image.size)
    out = []
    for ci, color in enumerate(COLORS):
        components, n = ndimage.label(labels == ci, structure=EIGHT_CONNECTED)
        for k, sl in enumerate(ndimage.find_objects(components), start=1):
            mask = components[sl] == k
            h, w = mask.shape
            if min(h, w) < min_side:
                continue
            holes = ndimage.binary_fill_holes(mask).sum() - mask.sum()
            if holes > MAX_HOLE_SHARE * mask.sum():
                continue
            box = (sl[1].start, sl[0].start, sl[1].stop, sl[0].stop)
            shape, score = classify(mask, box)
            if score >= config.min_score:
                out.append(Detection(shape, score, tuple(float(v) for v in box), color))
    return out
