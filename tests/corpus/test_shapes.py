"""The shapes-world generator: determinism, the on-disk layout contract, exact pixels, mess."""

from __future__ import annotations

import io
import json
import random
import re
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps, UnidentifiedImageError

from corpus.shapes import (
    BACKGROUND,
    BROKEN_KINDS,
    COLORS,
    EDIT_TYPES,
    SHAPES,
    Scene,
    ShapeObject,
    TextItem,
    apply_edit,
    caption,
    describe,
    diff,
    generate,
    invert,
    render_scene,
    sample_edit,
    sample_scene,
)
from corpus.shapes.scene import text_offset

NAME_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9]+$")
IMAGE_EXTS = {".png", ".jpg", ".webp"}
SMALL_BUDGET_S = 30.0


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def nearest_colour(rgb) -> str:
    return min(
        COLORS, key=lambda c: sum((int(a) - b) ** 2 for a, b in zip(rgb, COLORS[c], strict=True))
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def t2i_sidecars(world: Path) -> dict[Path, dict]:
    """Image path -> parsed .json sidecar for every t2i image that has one."""
    out = {}
    for side in sorted((world / "t2i").glob("*.json")):
        images = [p for p in side.parent.glob(side.stem + ".*") if p.suffix in IMAGE_EXTS]
        assert len(images) == 1, side
        out[images[0]] = json.loads(side.read_text(encoding="utf-8"))
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict, float]:
    out = tmp_path_factory.mktemp("shapes") / "world"
    start = time.perf_counter()
    counts = generate(out, "small", seed=0, progress=False)
    return out, counts, time.perf_counter() - start


def assert_pixels_match(image: Image.Image, scene: Scene) -> None:
    """Exact check for lossless images: colours at centres, tight boxes, background elsewhere."""
    px = np.asarray(image.convert("RGB"))
    assert px.shape == (scene.height, scene.width, 3)
    covered = np.zeros(px.shape[:2], bool)
    for item in list(scene.objects) + list(scene.texts):
        x1, y1, x2, y2 = item.box
        mask = (px[y1:y2, x1:x2] == COLORS[item.color]).all(-1)
        ys, xs = np.nonzero(mask)
        assert (xs.min() + x1, ys.min() + y1, xs.max() + x1 + 1, ys.max() + y1 + 1) == item.box
        covered[y1:y2, x1:x2] = True
    for obj in scene.objects:
        assert tuple(px[obj.center[1], obj.center[0]]) == COLORS[obj.color], obj
    assert (px[~covered] == BACKGROUND).all()


# --- determinism and speed --------------------------------------------------------------------


def test_small_is_fast_and_same_seed_gives_identical_bytes(small, tmp_path):
    out, counts, seconds = small
    assert seconds < SMALL_BUDGET_S
    again = generate(tmp_path / "again", "small", seed=0, progress=False)
    assert again == counts
    first, second = tree_bytes(out), tree_bytes(tmp_path / "again")
    assert sorted(first) == sorted(second)
    assert all(first[k] == second[k] for k in first)


def test_different_seed_gives_different_data(small, tmp_path):
    out, _, _ = small
    generate(tmp_path / "other", "small", seed=1, progress=False)
    a = (out / "t2i_jsonl" / "metadata.jsonl").read_bytes()
    b = (tmp_path / "other" / "t2i_jsonl" / "metadata.jsonl").read_bytes()
    assert a != b
    assert (out / "edits/images/edit_00000_source.png").read_bytes() != (
        tmp_path / "other/edits/images/edit_00000_source.png"
    ).read_bytes()


def test_generate_refuses_unknown_size_and_non_empty_folder(tmp_path):
    with pytest.raises(ValueError, match="medium"):
        generate(tmp_path / "x", "huge")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        generate(tmp_path / "full", "small")


# --- layout contract ---------------------------------------------------------------------------


def test_world_json_and_readme(small):
    out, counts, _ = small
    world = json.loads((out / "world.json").read_text(encoding="utf-8"))
    assert world["seed"] == 0 and world["size"] == "small"
    assert world["counts"] == counts
    assert world["colors"] == {k: list(v) for k, v in COLORS.items()}
    assert len(world["colors"]) == 10 and world["shapes"] == list(SHAPES)
    assert world["background"] == list(BACKGROUND)
    readme = (out / "README.md").read_text(encoding="utf-8")
    for folder in ("t2i/", "t2i_jsonl/", "edits/", "vqa/"):
        assert f"`{folder}`" in readme


def test_file_names_are_lowercase_ascii_with_one_dot(small):
    out, _, _ = small
    for path in out.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert NAME_RE.match(path.name), path


def test_t2i_folder_sidecars(small):
    out, counts, _ = small
    images = sorted(p for p in (out / "t2i").iterdir() if p.suffix in IMAGE_EXTS)
    assert len(images) == counts["t2i"]["images"]
    n_txt = 0
    for image in images:
        side_json, side_txt = image.with_suffix(".json"), image.with_suffix(".txt")
        assert side_json.exists() != side_txt.exists(), image  # exactly one sidecar
        if side_txt.exists():
            n_txt += 1
            text = side_txt.read_text(encoding="utf-8").strip()
            assert text and "\n" not in text
            continue
        meta = json.loads(side_json.read_text(encoding="utf-8"))
        assert meta["caption"] and meta["lang"] in ("en", "zh")
        if "broken" not in meta or meta["broken"] == "wrong_extension":
            Scene.from_dict(meta["scene"])
    assert n_txt == counts["t2i"]["txt_sidecars"] > 0
    by_ext = {e: sum(p.suffix == f".{e}" for p in images) for e in ("jpg", "png", "webp")}
    assert by_ext == counts["t2i"]["by_format"] and all(by_ext.values())


def test_t2i_jsonl_lines(small):
    out, counts, _ = small
    lines = read_jsonl(out / "t2i_jsonl" / "metadata.jsonl")
    assert len(lines) == counts["t2i_jsonl"] > 0
    assert {line["lang"] for line in lines} == {"en", "zh"}
    for line in lines:
        assert set(line) >= {"image", "caption", "lang", "scene"}
        with Image.open(out / "t2i_jsonl" / line["image"]) as im:
            assert im.size == (line["scene"]["width"], line["scene"]["height"])


def test_edits_jsonl_lines(small):
    out, counts, _ = small
    lines = read_jsonl(out / "edits" / "edits.jsonl")
    assert len(lines) == counts["edits"]["triplets"] > 0
    assert {line["edit_type"] for line in lines} == set(EDIT_TYPES)
    keys = {"source", "target", "instruction", "inverse_instruction", "edit_type", "lang"}
    for line in lines:
        assert set(line) >= keys | {"source_scene", "target_scene"} and line["lang"] == "en"
        for role in ("source", "target"):
            with Image.open(out / "edits" / line[role]) as im:
                assert_pixels_match(im, Scene.from_dict(line[f"{role}_scene"]))


def test_vqa_conversations(small):
    out, counts, _ = small
    entries = json.loads((out / "vqa" / "conversations.json").read_text(encoding="utf-8"))
    assert len(entries) == counts["vqa"]["conversations"] > 0
    assert len({e["id"] for e in entries}) == len(entries)
    for entry in entries:
        turns = entry["conversations"]
        assert [t["from"] for t in turns] == ["human", "gpt"] * (len(turns) // 2)
        assert turns[0]["value"].startswith("<image>\n")
        assert not any("<image>" in t["value"] for t in turns[1:])
        with Image.open(out / "vqa" / entry["image"]) as im:
            assert_pixels_match(im, Scene.from_dict(entry["scene"]))


# --- answers, captions and edits follow the scene -----------------------------------------------


def test_vqa_answers_are_read_off_the_scene(small):
    out, _, _ = small
    entries = json.loads((out / "vqa" / "conversations.json").read_text(encoding="utf-8"))
    seen_text = 0
    for entry in entries:
        scene = Scene.from_dict(entry["scene"])
        turns = entry["conversations"]
        for q, a in zip(turns[::2], turns[1::2], strict=True):
            question, answer = q["value"].removeprefix("<image>\n"), a["value"]
            if question.startswith("How many shapes"):
                assert answer == str(len(scene.objects))
            elif m := re.match(r"How many (\w+) (\w+)s are", question):
                assert answer == str(scene.count(m[1], m[2]))
            elif m := re.match(r"What color is the (\w+)\?", question):
                assert [o.color for o in scene.objects if o.shape == m[1]] == [answer]
            elif m := re.match(r"What shape is the (\w+) object", question):
                assert [o.shape for o in scene.objects if o.color == m[1]] == [answer]
            elif question.startswith("What text"):
                seen_text += 1
                assert answer == " ".join(t.text for t in scene.texts)
        if scene.texts:
            assert any(t["value"].endswith("Answer with the text only.") for t in turns)
    assert seen_text > 0


def test_captions_name_every_colour_and_shape():
    rng = random.Random(3)
    for _ in range(50):
        scene = sample_scene(rng, 256, 256, with_text=True)
        en = caption(scene, "en", rng)
        for obj in scene.objects:
            assert obj.color in en and obj.shape in en
        assert all(t.text in en for t in scene.texts)
        zh = caption(scene, "zh", rng)
        assert re.search(r"[\u4e00-\u9fff]", zh) and all(t.text in zh for t in scene.texts)


def test_caption_relation_matches_geometry():
    left = ShapeObject("circle", "red", (10, 40, 40, 70))
    right = ShapeObject("square", "blue", (80, 30, 120, 70))
    scene = Scene(128, 128, (right, left))
    assert scene.objects[0] == left  # objects are kept in reading order
    captions = {caption(scene, "en", random.Random(i)) for i in range(40)}
    assert any("a red circle to the left of a blue square" in c for c in captions)
    assert not any("right of" in c or "above" in c for c in captions)


def test_edits_in_file_are_invertible(small):
    out, _, _ = small
    for line in read_jsonl(out / "edits" / "edits.jsonl"):
        source = Scene.from_dict(line["source_scene"])
        target = Scene.from_dict(line["target_scene"])
        edit = diff(source, target)
        assert edit.edit_type == line["edit_type"]
        assert describe(edit, source) == line["instruction"]
        back = invert(edit)
        assert describe(back, target) == line["inverse_instruction"]
        assert apply_edit(target, back) == source
        assert diff(target, source) == back


def test_sampled_edits_round_trip_and_name_unique_objects():
    rng = random.Random(11)
    done = {t: 0 for t in EDIT_TYPES}
    for i in range(300):
        scene = sample_scene(rng, 192, 192, n_objects=rng.randint(1, 4))
        edit = sample_edit(rng, scene, EDIT_TYPES[i % len(EDIT_TYPES)])
        if edit is None:
            continue
        done[edit.edit_type] += 1
        target = apply_edit(scene, edit)
        assert apply_edit(target, invert(edit)) == scene
        for obj, where in ((edit.before, scene), (edit.after, target)):
            if obj is not None:  # instructions name objects by colour+shape: must be unique
                assert where.count(obj.color, obj.shape) == 1
        assert_pixels_match(render_scene(target), target)  # still non-overlapping and in frame
    assert all(n > 10 for n in done.values()), done


# --- rendering ---------------------------------------------------------------------------------


def test_render_scene_draws_every_shape_exactly():
    objects = [
        ShapeObject("circle", "red", (10, 10, 50, 50)),
        ShapeObject("square", "blue", (60, 35, 100, 75)),
        ShapeObject("triangle", "green", (110, 10, 150, 50)),
        ShapeObject("star", "pink", (160, 35, 200, 75)),
        ShapeObject("hexagon", "black", (210, 10, 250, 45)),  # hexagons are not square
        ShapeObject("diamond", "yellow", (260, 35, 300, 75)),
    ]
    assert {o.shape for o in objects} == set(SHAPES)
    dx1, dy1, dx2, dy2 = text_offset("HELLO", 20)
    text = TextItem("HELLO", "white", (20, 100, 20 + dx2 - dx1, 100 + dy2 - dy1), 20)
    scene = Scene(320, 140, tuple(objects), (text,))
    image = render_scene(scene)
    assert image.mode == "RGB"
    assert_pixels_match(image, scene)
    colours = {c for _, c in image.getcolors(maxcolors=64)}
    assert colours == {COLORS[o.color] for o in objects} | {COLORS["white"], BACKGROUND}


def test_render_scene_random_scenes_are_exact():
    rng = random.Random(5)
    for _ in range(60):
        w, h = rng.choice([(24, 24), (64, 96), (256, 192)])
        scene = sample_scene(rng, w, h, with_text=rng.random() < 0.5, same_kind=rng.random() < 0.3)
        assert 1 <= len(scene.objects) <= 4
        assert Scene.from_dict(json.loads(json.dumps(scene.to_dict()))) == scene
        assert_pixels_match(render_scene(scene), scene)


# --- mess --------------------------------------------------------------------------------------


def test_exif_rotated_jpegs_display_the_scene(small):
    out, counts, _ = small
    rotated = {p: m for p, m in t2i_sidecars(out).items() if "exif_orientation" in m}
    assert len(rotated) == counts["t2i"]["exif_rotated"] > 0
    for path, meta in rotated.items():
        scene = Scene.from_dict(meta["scene"])
        with Image.open(path) as im:
            assert im.format == "JPEG"
            assert im.getexif()[0x0112] == meta["exif_orientation"] in (6, 8)
            assert im.size == (scene.height, scene.width)  # stored sideways
            shown = ImageOps.exif_transpose(im).convert("RGB")
        assert shown.size == (scene.width, scene.height)
        for obj in scene.objects:
            assert nearest_colour(shown.getpixel(obj.center)) == obj.color


def test_broken_files_are_broken_as_stated(small):
    out, _, _ = small
    broken = {m["broken"]: p for p, m in t2i_sidecars(out).items() if "broken" in m}
    assert sorted(broken) == sorted(BROKEN_KINDS)
    for kind in ("truncated_png", "truncated_jpeg"):
        with Image.open(broken[kind]) as im:  # the header still parses ...
            with pytest.raises(OSError, match="truncated"):
                im.load()  # ... but the pixels are cut off
    assert broken["zero_bytes"].stat().st_size == 0
    with pytest.raises(UnidentifiedImageError):
        Image.open(broken["zero_bytes"])
    assert broken["not_an_image"].suffix == ".jpg"
    assert "not an image" in broken["not_an_image"].read_text(encoding="utf-8")
    with pytest.raises(UnidentifiedImageError):
        Image.open(broken["not_an_image"])


def test_wrong_extension_is_a_valid_png(small):
    out, _, _ = small
    path, meta = next(
        (p, m) for p, m in t2i_sidecars(out).items() if m.get("broken") == "wrong_extension"
    )
    assert path.suffix == ".jpg"
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert_pixels_match(im, Scene.from_dict(meta["scene"]))


def test_decompression_bomb_header(small):
    out, _, _ = small
    path = next(p for p, m in t2i_sidecars(out).items() if m.get("broken") == "decompression_bomb")
    data = path.read_bytes()
    assert len(data) < 200 and data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    payload = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert kind == b"IHDR" and crc == zlib.crc32(kind + payload)
    assert struct.unpack(">II", payload[:8]) == (100_000, 100_000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))


def test_sizes_range_from_tiny_to_over_two_megapixels(small):
    out, counts, _ = small
    sizes = {}
    for path in (out / "t2i").iterdir():
        if path.suffix in IMAGE_EXTS and path.stat().st_size > 0:
            try:
                with Image.open(path) as im:
                    sizes[path] = im.size
            except (UnidentifiedImageError, Image.DecompressionBombError):
                continue
    assert sum(min(s) <= 40 for s in sizes.values()) >= counts["t2i"]["tiny"] > 0
    assert sum(w * h > 2_000_000 for w, h in sizes.values()) == counts["t2i"]["large"] > 0


def test_near_duplicates_point_at_similar_images(small):
    out, counts, _ = small
    sidecars = t2i_sidecars(out)
    dups = {p: m for p, m in sidecars.items() if "near_duplicate_of" in m}
    assert len(dups) == counts["t2i"]["near_duplicates"] > 0
    for path, meta in dups.items():
        original = out / "t2i" / meta["near_duplicate_of"]
        assert original.read_bytes() != path.read_bytes()
        if meta["near_duplicate_kind"] == "reencoded":
            assert meta["scene"] == sidecars[original]["scene"]
        small_a, small_b = (
            np.asarray(Image.open(p).convert("RGB").resize((16, 16)), dtype=float)
            for p in (original, path)
        )
        assert np.abs(small_a - small_b).mean() < 12  # perceptually the same picture
