"""LLaVA-style question/answer turns about a scene; every answer is read off the scene graph.

Answers are short (a number, a colour, a shape, a side, a word) so that a scorer can compare them
exactly; one "describe" question gets an English caption as its answer.
"""

from __future__ import annotations

import random

from corpus.shapes.captions import describe_en, relation
from corpus.shapes.scene import Scene

IMAGE_TOKEN = "<image>"
SHORT = "Answer with a single word or number."
SIDES = "Answer left, right, above or below."
MAX_TURNS = 4

QA = tuple[str, str]


def count_questions(scene: Scene) -> list[QA]:
    """How many objects in total, and of each colour+shape kind."""
    qas = [(f"How many shapes are in the image? {SHORT}", str(len(scene.objects)))]
    for kind in sorted({(o.color, o.shape) for o in scene.objects}):
        color, shape = kind
        qas.append((f"How many {color} {shape}s are there? {SHORT}", str(scene.count(*kind))))
    return qas


def colour_questions(scene: Scene) -> list[QA]:
    """The colour of every shape that occurs exactly once."""
    return [
        (f"What color is the {o.shape}? {SHORT}", o.color)
        for o in scene.objects
        if scene.count(shape=o.shape) == 1
    ]


def shape_questions(scene: Scene) -> list[QA]:
    """The shape of every colour that occurs exactly once."""
    return [
        (f"What shape is the {o.color} object? {SHORT}", o.shape)
        for o in scene.objects
        if scene.count(color=o.color) == 1
    ]


def position_questions(scene: Scene) -> list[QA]:
    """Relative position of every ordered pair of uniquely described objects."""
    unique = [o for o in scene.objects if scene.count(o.color, o.shape) == 1]
    qas = []
    for a in unique:
        for b in unique:
            rel = relation(a, b) if a != b else None
            if rel:
                q = f"Where is the {a.label} relative to the {b.label}? {SIDES}"
                qas.append((q, rel.split()[0]))
    return qas


def text_questions(scene: Scene) -> list[QA]:
    """What word is written (OCR); only asked when the scene has text."""
    if not scene.texts:
        return []
    words = " ".join(t.text for t in scene.texts)
    return [("What text is written in the image? Answer with the text only.", words)]


def conversation(scene: Scene, rng: random.Random) -> list[dict[str, str]]:
    """LLaVA ``conversations`` list: alternating human/gpt turns, ``<image>`` in the first one."""
    pool = colour_questions(scene) + shape_questions(scene) + position_questions(scene)
    described = describe_en(scene, use_relation=True)
    pool += [("Describe the image briefly.", described[0].upper() + described[1:] + ".")]
    picked = text_questions(scene) + [rng.choice(count_questions(scene))]
    picked += rng.sample(pool, min(len(pool), rng.randint(1, MAX_TURNS - len(picked))))
    rng.shuffle(picked)
    turns: list[dict[str, str]] = []
    for i, (q, a) in enumerate(picked):
        value = f"{IMAGE_TOKEN}\n{q}" if i == 0 else q
        turns += [{"from": "human", "value": value}, {"from": "gpt", "value": a}]
    return turns
