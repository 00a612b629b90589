"""Draw a scene to pixels: flat colours, no antialiasing, each shape exactly filling its box."""

from __future__ import annotations

import math
from functools import lru_cache

from PIL import Image, ImageDraw

from corpus.shapes.scene import COLORS, Box, Scene, ShapeObject, TextItem, font, text_offset

STAR_POINTS = 5
STAR_INNER_RATIO = 0.382  # inner/outer radius of a regular five-pointed star

# Polygon vertices in the unit box [0, 1] x [0, 1]; stretched onto the object's box.
UNIT_POLYGONS: dict[str, tuple[tuple[float, float], ...]] = {
    "square": ((0, 0), (1, 0), (1, 1), (0, 1)),
    "triangle": ((0.5, 0), (1, 1), (0, 1)),
    "diamond": ((0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)),
    "hexagon": ((0, 0.5), (0.25, 0), (0.75, 0), (1, 0.5), (0.75, 1), (0.25, 1)),
}


@lru_cache(maxsize=1)
def unit_star() -> tuple[tuple[float, float], ...]:
    """Five-pointed star (point up), normalised so its extremes touch the unit box."""
    pts = []
    for i in range(2 * STAR_POINTS):
        r = 1.0 if i % 2 == 0 else STAR_INNER_RATIO
        a = math.pi * i / STAR_POINTS - math.pi / 2
        pts.append((r * math.cos(a), r * math.sin(a)))
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, y0, w, h = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    return tuple(((x - x0) / w, (y - y0) / h) for x, y in pts)


def polygon_points(shape: str, box: Box) -> list[tuple[int, int]]:
    """Integer vertices of ``shape`` stretched onto ``box`` (exclusive x2/y2)."""
    unit = unit_star() if shape == "star" else UNIT_POLYGONS[shape]
    x1, y1, x2, y2 = box
    w, h = x2 - 1 - x1, y2 - 1 - y1
    return [(x1 + round(u * w), y1 + round(v * h)) for u, v in unit]


def draw_object(draw: ImageDraw.ImageDraw, obj: ShapeObject) -> None:
    """Fill ``obj``; the outline in the same colour guarantees the tips reach the box edges."""
    rgb = COLORS[obj.color]
    x1, y1, x2, y2 = obj.box
    if obj.shape == "circle":
        draw.ellipse((x1, y1, x2 - 1, y2 - 1), fill=rgb)
    else:
        pts = polygon_points(obj.shape, obj.box)
        draw.polygon(pts, fill=rgb, outline=rgb)


def draw_text(draw: ImageDraw.ImageDraw, item: TextItem) -> None:
    """Draw the word so its tight pixel box is exactly ``item.box``."""
    dx, dy, _, _ = text_offset(item.text, item.font_size)
    origin = (item.box[0] - dx, item.box[1] - dy)
    draw.text(origin, item.text, font=font(item.font_size), fill=COLORS[item.color])


def render_scene(scene: Scene) -> Image.Image:
    """RGB image of ``scene`` in displayed orientation; only scene colours appear in it."""
    image = Image.new("RGB", (scene.width, scene.height), tuple(scene.background))
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # no antialiasing: every pixel is the background or a named colour
    for obj in scene.objects:
        draw_object(draw, obj)
    for item in scene.texts:
        draw_text(draw, item)
    return image
