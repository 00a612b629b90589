"""English and Chinese captions (and the phrases edits and VQA reuse) derived from a scene."""

from __future__ import annotations

import random

from corpus.shapes.scene import Box, Scene, ShapeObject

NUMBERS_EN = {1: "one", 2: "two", 3: "three", 4: "four"}
NUMBERS_ZH = {1: "一个", 2: "两个", 3: "三个", 4: "四个"}
COLORS_ZH = {
    "red": "红色",
    "orange": "橙色",
    "yellow": "黄色",
    "green": "绿色",
    "blue": "蓝色",
    "purple": "紫色",
    "pink": "粉色",
    "brown": "棕色",
    "black": "黑色",
    "white": "白色",
}
SHAPES_ZH = {
    "circle": "圆形",
    "square": "正方形",
    "triangle": "三角形",
    "star": "星形",
    "hexagon": "六边形",
    "diamond": "菱形",
}
RELATIONS_ZH = {"left of": "左边", "right of": "右边", "above": "上方", "below": "下方"}
REGIONS_EN = (
    ("at the top left", "at the top", "at the top right"),
    ("on the left", "in the centre", "on the right"),
    ("at the bottom left", "at the bottom", "at the bottom right"),
)
TEMPLATES_EN = ("a photo of {d}", "{D}.", "an image of {d}", "{d} on a grey background")
TEMPLATES_ZH = ("一张图片：{d}。", "{d}，灰色背景。", "图中是{d}。")


def article(word: str) -> str:
    """English indefinite article for ``word``."""
    return "an" if word[0] in "aeiou" else "a"


def phrase_en(color: str, shape: str, n: int = 1) -> str:
    """``a red circle`` / ``an orange star`` / ``three blue squares``."""
    if n == 1:
        return f"{article(color)} {color} {shape}"
    return f"{NUMBERS_EN[n]} {color} {shape}s"


def phrase_zh(color: str, shape: str, n: int = 1) -> str:
    """``一个红色圆形`` / ``三个蓝色正方形``."""
    return f"{NUMBERS_ZH[n]}{COLORS_ZH[color]}{SHAPES_ZH[shape]}"


def groups(scene: Scene) -> list[tuple[str, str, int]]:
    """(colour, shape, count) per kind of object, in reading order of first appearance."""
    seen: dict[tuple[str, str], int] = {}
    for o in scene.objects:
        seen[(o.color, o.shape)] = seen.get((o.color, o.shape), 0) + 1
    return [(c, s, n) for (c, s), n in seen.items()]


def join_en(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def relation(a: ShapeObject, b: ShapeObject) -> str | None:
    """Where ``a`` is relative to ``b``: on the axis that separates their boxes the most."""
    gaps = {
        "left of": b.box[0] - a.box[2],
        "right of": a.box[0] - b.box[2],
        "above": b.box[1] - a.box[3],
        "below": a.box[1] - b.box[3],
    }
    name, gap = max(gaps.items(), key=lambda kv: kv[1])
    return name if gap >= 0 else None


def region_en(scene: Scene, box: Box) -> str:
    """Which ninth of the image holds the centre of ``box``, as an English phrase."""
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    return REGIONS_EN[min(2, cy * 3 // scene.height)][min(2, cx * 3 // scene.width)]


def relation_pair(scene: Scene) -> tuple[ShapeObject, ShapeObject, str] | None:
    """The two objects and their relation, if the scene is two distinct, separated objects."""
    if len(scene.objects) != 2 or len(groups(scene)) != 2:
        return None
    a, b = scene.objects
    rel = relation(a, b)
    return (a, b, rel) if rel else None


def describe_en(scene: Scene, use_relation: bool) -> str:
    pair = relation_pair(scene) if use_relation else None
    if pair:
        a, b, rel = pair
        body = f"{phrase_en(a.color, a.shape)} {'to the ' if 'of' in rel else ''}{rel} " + (
            phrase_en(b.color, b.shape)
        )
    else:
        body = join_en([phrase_en(c, s, n) for c, s, n in groups(scene)])
    for t in scene.texts:
        body += f' with the word "{t.text}" written in {t.color}'
    return body


def describe_zh(scene: Scene, use_relation: bool) -> str:
    pair = relation_pair(scene) if use_relation else None
    if pair:
        a, b, rel = pair
        body = f"{phrase_zh(a.color, a.shape)}在{phrase_zh(b.color, b.shape)}的{RELATIONS_ZH[rel]}"
    else:
        parts = [phrase_zh(c, s, n) for c, s, n in groups(scene)]
        body = parts[0] if len(parts) == 1 else "、".join(parts[:-1]) + "和" + parts[-1]
    for t in scene.texts:
        body += f"，还写着{COLORS_ZH[t.color]}的“{t.text}”"
    return body


def caption(scene: Scene, lang: str, rng: random.Random) -> str:
    """One caption of ``scene`` in ``lang`` (``en`` or ``zh``) from a random template."""
    use_relation = rng.random() < 0.7
    if lang == "zh":
        return rng.choice(TEMPLATES_ZH).format(d=describe_zh(scene, use_relation))
    d = describe_en(scene, use_relation)
    return rng.choice(TEMPLATES_EN).format(d=d, D=d[0].upper() + d[1:])
