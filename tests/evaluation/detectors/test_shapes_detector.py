"""The shapes detector is exact on ground-truth renders of the shapes world."""

from __future__ import annotations

import io
import random

from PIL import Image

from corpus.shapes import render_scene, sample_scene
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
