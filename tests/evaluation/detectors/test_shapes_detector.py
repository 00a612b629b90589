"""The shapes detector is exact on ground-truth renders of the shapes world."""

from __future__ import annotations

import io
import random

from PIL import Image

from corpus.shapes import render_scene, sample_scene
from corpus.shapes.scene import BACKGROUND, COLORS
from evaluation.detectors.shapes import detect_shapes

SIZES = [(64, 64), (96, 96), (128, 128), (160, 120), (192, 256), (256, 192), (24, 24), (40, 32)]


def truth(scene):
    return sorted((o.shape, o.color, tuple(float(v) for v in o.box)) for o in scene.objects)


def found(image):
    return sorted((d.label, d.color, d.box) for d in detect_shapes(image))


def test_exact_on_rendered_scene_graphs_with_text_and_counts():
    rng = random.Random(1)
    for _ in range(150):
        w, h = rng.choice(SIZES)
        scene = sample_scene(rng, w, h, with_text=rng.random() < 0.5, same_kind=rng.random() < 0.3)
        image = render_scene(scene)
        dets = detect_shapes(image)
        assert found(image) == truth(scene), scene
        assert all(d.score == 1.0 for d in dets)


def test_robust_to_lossy_compression():
    rng = random.Random(2)
    hits = 0
    for _ in range(20):
        scene = sample_scene(rng, 128, 128)
        buf = io.BytesIO()
        render_scene(scene).save(buf, format="JPEG", quality=90)
        dets = detect_shapes(Image.open(buf))
        labels = sorted((d.label, d.color) for d in dets)
        hits += labels == sorted((o.shape, o.color) for o in scene.objects)
        assert all(d.score > 0.6 for d in dets)
    assert hits >= 18


def test_finds_world_objects_in_renders_scaled_down_to_the_demo_size():
    """The demo trains and samples at 64 px: a 256 px scene downscaled keeps its objects."""
    rng = random.Random(3)
    hits = 0
    for _ in range(40):
        scene = sample_scene(rng, 256, 256)
        image = render_scene(scene).resize((64, 64), Image.BICUBIC)
        hits += sorted((d.label, d.color) for d in detect_shapes(image)) == sorted(
            (o.shape, o.color) for o in scene.objects
        )
    assert hits >= 36


def test_patch_sized_speckles_are_not_objects():
    """A DiT's failure mode: scattered 4 x 4 px patches of palette colours on the background."""
    rng = random.Random(4)
    image = Image.new("RGB", (64, 64), BACKGROUND)
    for _ in range(40):
        x, y = rng.randrange(0, 60, 4), rng.randrange(0, 60, 4)
        image.paste(COLORS[rng.choice(list(COLORS))], (x, y, x + 4, y + 4))
    assert detect_shapes(image) == []
    scene = sample_scene(random.Random(5), 64, 64)  # while real objects of that size are found
    assert found(render_scene(scene)) == truth(scene)
