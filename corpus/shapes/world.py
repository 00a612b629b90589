"""``generate``: write the shapes-world raw dataset in the four raw layouts users have.

Layout (paths in listings are relative to the listing file)::

    OUT/README.md, OUT/world.json
    OUT/t2i/                 image folder with NAME.json or NAME.txt sidecars, plus broken files
    OUT/t2i_jsonl/           metadata.jsonl + images/
    OUT/edits/               edits.jsonl (source, target, instruction, inverse) + images/
    OUT/vqa/                 conversations.json (LLaVA) + images/

Everything is drawn from ``random.Random`` objects seeded from ``seed`` and the section name,
so the same ``seed`` and ``size`` give byte-identical files.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from corpus.shapes.captions import caption
from corpus.shapes.edits import EDIT_TYPES, Edit, apply_edit, describe, invert, sample_edit
from corpus.shapes.mess import (
    BROKEN_DETAILS,
    BROKEN_KINDS,
    EXT,
    broken_file,
    encode,
    exif_rotated_jpeg,
)
from corpus.shapes.render import render_scene
from corpus.shapes.scene import (
    BACKGROUND,
    COLORS,
    SHAPES,
    Scene,
    sample_scene,
    scale_scene,
)
from corpus.shapes.vqa import conversation


@dataclass(frozen=True)
class SizePlan:
    """How many samples of each kind one ``size`` writes."""

    t2i: int  # plain images in t2i/ (mess below comes on top)
    t2i_text: int  # images with a word rendered in them (OCR)
    exif: int  # JPEGs stored rotated with an EXIF orientation
    tiny: int  # 24-40 px images
    large: int  # images over 2 megapixels
    near_duplicates: int  # re-encodes / small resizes of earlier t2i images
    jsonl: int
    edits: int
    vqa: int


SIZES: dict[str, SizePlan] = {
    "small": SizePlan(48, 8, 4, 3, 2, 4, jsonl=40, edits=25, vqa=30),
    "medium": SizePlan(900, 120, 40, 30, 5, 60, jsonl=800, edits=500, vqa=600),
}

# (width, height) choices per kind of image; most are small so generation is fast.
IMAGE_SIZES = {
    "plain": ((64, 64), (96, 96), (128, 128), (160, 120), (192, 256), (256, 256), (320, 240),
              (384, 384), (512, 384), (384, 512), (512, 512)),
    "text": ((192, 128), (256, 192), (256, 256), (320, 240), (384, 256)),
    "tiny": ((24, 24), (32, 24), (24, 40), (40, 32)),
    "large": ((1800, 1260), (1260, 1800), (1920, 1080), (1600, 1600)),
    "small": ((128, 128), (160, 160), (192, 192), (256, 256), (256, 192)),
}  # fmt: skip
FORMATS = ("png", "jpeg", "webp")
COUNT_SCENE_P = 0.3  # share of scenes that are n copies of one kind (GenEval "counting")
TXT_SIDECAR_P = 0.25  # share of plain t2i images whose caption is a bare .txt file
ZH_P = 0.3  # share of Chinese captions
NEAR_DUP_SCALES = (0.94, 0.96, 1.04, 1.06)
NEAR_DUP_QUALITIES = (45, 60, 75)


def dump(obj: Any) -> str:
    """Canonical JSON (sorted keys, UTF-8 text) so files are byte-identical across runs."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def write_text(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def pick_lang(rng: random.Random) -> str:
    return "zh" if rng.random() < ZH_P else "en"


def random_scene(rng: random.Random, sizes: str, with_text: bool = False) -> Scene:
    w, h = rng.choice(IMAGE_SIZES[sizes])
    return sample_scene(rng, w, h, with_text=with_text, same_kind=rng.random() < COUNT_SCENE_P)


def encode_random(rng: random.Random, image: Image.Image) -> tuple[str, bytes]:
    """(extension, bytes) in a random format and quality."""
    fmt = rng.choice(FORMATS)
    return EXT[fmt], encode(image, fmt, quality=rng.choice((80, 90, 95)))


class Progress:
    """A tqdm bar when tqdm is installed and stderr is a terminal; otherwise nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=total, desc="shapes world", unit="sample", disable=None)

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class T2IFolder:
    """Writes t2i/: images with .json or .txt sidecars, EXIF-rotated JPEGs, broken files."""

    def __init__(self, folder: Path, rng: random.Random) -> None:
        self.folder, self.rng = folder, rng
        self.counts: Counter[str] = Counter()
        self.originals: list[dict[str, Any]] = []  # candidates for near-duplicates
        self.index = 0

    def save(self, ext: str, data: bytes, sidecar: dict[str, Any] | str) -> str:
        """Write the next ``img_NNNNN.<ext>`` and its sidecar (dict -> .json, str -> .txt)."""
        name = f"img_{self.index:05d}"
        self.index += 1
        (self.folder / f"{name}.{ext}").write_bytes(data)
        self.counts["images"] += 1
        self.counts[f"format_{ext}"] += 1
        if isinstance(sidecar, str):
            write_text(self.folder / f"{name}.txt", sidecar + "\n")
            self.counts["txt_sidecars"] += 1
        else:
            write_text(self.folder / f"{name}.json", dump(sidecar) + "\n")
            self.counts["json_sidecars"] += 1
        return f"{name}.{ext}"

    def captioned(self, sizes: str, with_text: bool = False) -> None:
        """A clean image; plain ones sometimes get a bare .txt caption instead of .json."""
        rng = self.rng
        scene = random_scene(rng, sizes, with_text)
        lang = pick_lang(rng)
        text = caption(scene, lang, rng)
        ext, data = encode_random(rng, render_scene(scene))
        self.counts["with_text" if with_text else sizes] += 1
        if sizes == "plain" and not with_text and rng.random() < TXT_SIDECAR_P:
            self.save(ext, data, text)
            return
        record = {"caption": text, "lang": lang, "scene": scene.to_dict()}
        filename = self.save(ext, data, record)
        if sizes == "plain" and not scene.texts:
            self.originals.append({**record, "file": filename, "scene": scene})

    def exif_rotated(self) -> None:
        """JPEG stored rotated with EXIF orientation 6 or 8; the scene is in displayed pixels."""
        rng = self.rng
        scene = random_scene(rng, "plain")
        lang = pick_lang(rng)
        orientation = rng.choice((6, 8))
        data = exif_rotated_jpeg(render_scene(scene), orientation, quality=rng.choice((88, 95)))
        record = {"caption": caption(scene, lang, rng), "lang": lang, "scene": scene.to_dict()}
        self.save("jpg", data, {**record, "exif_orientation": orientation})
        self.counts["exif_rotated"] += 1

    def broken(self, kind: str) -> None:
        """A broken or odd file; its sidecar says what is wrong in ``broken``."""
        rng = self.rng
        scene = random_scene(rng, "small")
        lang = pick_lang(rng)
        ext, data = broken_file(kind, render_scene(scene))
        record = {"caption": caption(scene, lang, rng), "lang": lang, "broken": kind}
        record["broken_detail"] = BROKEN_DETAILS[kind]
        if kind == "wrong_extension":  # the pixels are fine, so the scene is still true
            record["scene"] = scene.to_dict()
        self.save(ext, data, record)
        self.counts["broken"] += 1

    def near_duplicate(self) -> None:
        """An earlier image re-encoded as a low-quality JPEG or redrawn a few % larger/smaller."""
        rng = self.rng
        orig = rng.choice(self.originals)
        record = {"caption": orig["caption"], "lang": orig["lang"]}
        record["near_duplicate_of"] = orig["file"]
        if rng.random() < 0.5:
            scene, kind = orig["scene"], "reencoded"
            ext, data = "jpg", encode(render_scene(scene), "jpeg", rng.choice(NEAR_DUP_QUALITIES))
        else:
            scene, kind = scale_scene(orig["scene"], rng.choice(NEAR_DUP_SCALES)), "resized"
            ext, data = encode_random(rng, render_scene(scene))
        self.save(ext, data, {**record, "scene": scene.to_dict(), "near_duplicate_kind": kind})
        self.counts["near_duplicates"] += 1


def write_t2i(folder: Path, plan: SizePlan, rng: random.Random, progress: Progress) -> dict:
    """Fill t2i/ in a shuffled order of kinds; near-duplicates come last (they need originals)."""
    folder.mkdir(parents=True)
    writer = T2IFolder(folder, rng)
    jobs = [("captioned", "plain", False)] * plan.t2i + [
        ("captioned", "text", True)
    ] * plan.t2i_text
    jobs += [("captioned", "tiny", False)] * plan.tiny + [
        ("captioned", "large", False)
    ] * plan.large
    jobs += [("exif_rotated",)] * plan.exif + [("broken", kind) for kind in BROKEN_KINDS]
    rng.shuffle(jobs)
    jobs += [("near_duplicate",)] * plan.near_duplicates
    for method, *args in jobs:
        getattr(writer, method)(*args)
        progress.update()
    counts = dict(sorted(writer.counts.items()))
    formats = {k.removeprefix("format_"): counts.pop(k) for k in list(counts) if "format_" in k}
    return {**counts, "by_format": formats}


def write_t2i_jsonl(folder: Path, n: int, rng: random.Random, progress: Progress) -> int:
    """t2i_jsonl/metadata.jsonl listing images/ in mixed formats, captions en or zh."""
    (folder / "images").mkdir(parents=True)
    lines = []
    for i in range(n):
        scene = random_scene(rng, "plain", with_text=rng.random() < 0.15)
        lang = pick_lang(rng)
        ext, data = encode_random(rng, render_scene(scene))
        path = f"images/sample_{i:05d}.{ext}"
        (folder / path).write_bytes(data)
        record = {"image": path, "caption": caption(scene, lang, rng), "lang": lang}
        lines.append(dump({**record, "scene": scene.to_dict()}))
        progress.update()
    write_text(folder / "metadata.jsonl", "".join(line + "\n" for line in lines))
    return n


EDIT_SCENE_TRIES = 1000


def sample_edit_pair(rng: random.Random, edit_type: str) -> tuple[Scene, Edit]:
    """A source scene of distinct objects and an ``edit_type`` edit that fits it."""
    lo, hi = (2 if edit_type == "remove" else 1), (3 if edit_type == "add" else 4)
    for _ in range(EDIT_SCENE_TRIES):
        w, h = rng.choice(IMAGE_SIZES["small"])
        scene = sample_scene(rng, w, h, n_objects=rng.randint(lo, hi))
        edit = sample_edit(rng, scene, edit_type)
        if edit is not None:
            return scene, edit
    raise RuntimeError(f"could not sample a {edit_type!r} edit in {EDIT_SCENE_TRIES} scenes")


def write_edits(folder: Path, n: int, rng: random.Random, progress: Progress) -> dict:
    """edits/edits.jsonl: source/target PNG pairs, the five edit types in turn."""
    (folder / "images").mkdir(parents=True)
    lines, by_type = [], Counter()
    for i in range(n):
        edit_type = EDIT_TYPES[i % len(EDIT_TYPES)]
        source, edit = sample_edit_pair(rng, edit_type)
        target = apply_edit(source, edit)
        paths = {}
        for role, scene in (("source", source), ("target", target)):
            paths[role] = f"images/edit_{i:05d}_{role}.png"
            (folder / paths[role]).write_bytes(encode(render_scene(scene), "png"))
        record = {
            **paths,
            "instruction": describe(edit, source),
            "inverse_instruction": describe(invert(edit), target),
            "edit_type": edit_type,
            "lang": "en",
            "source_scene": source.to_dict(),
            "target_scene": target.to_dict(),
        }
        lines.append(dump(record))
        by_type[edit_type] += 1
        progress.update()
    write_text(folder / "edits.jsonl", "".join(line + "\n" for line in lines))
    return {"triplets": n, "by_type": dict(sorted(by_type.items()))}


def write_vqa(folder: Path, n: int, rng: random.Random, progress: Progress) -> dict:
    """vqa/conversations.json in LLaVA format; a third of the images carry a word (OCR)."""
    (folder / "images").mkdir(parents=True)
    entries, turns = [], 0
    for i in range(n):
        scene = random_scene(rng, "text", with_text=rng.random() < 1 / 3)
        path = f"images/vqa_{i:05d}.png"
        (folder / path).write_bytes(encode(render_scene(scene), "png"))
        conv = conversation(scene, rng)
        turns += len(conv) // 2
        entries.append(
            {"id": f"vqa_{i:05d}", "image": path, "conversations": conv, "scene": scene.to_dict()}
        )
        progress.update()
    write_text(folder / "conversations.json", dump(entries) + "\n")
    return {"conversations": n, "qa_pairs": turns}


README = """# Shapes world ({size}, seed {seed})

Synthetic raw data generated by `corpus.shapes.generate`: flat shapes
({shapes}) in GenEval's ten colour names on a light-grey background, with a
known scene graph for every valid image. Boxes are `[x1, y1, x2, y2]` in displayed pixels with
`x2`/`y2` exclusive, the tight box of the drawn pixels. Scenes also list `texts` (word, colour,
tight box, `font_size`), drawn without antialiasing. `world.json` lists the colours, shapes
and counts.

`t2i/` is an image folder: `NAME.<png|jpg|webp>` with a `NAME.json` sidecar (`caption`, `lang`,
`scene`) or only a `NAME.txt` caption (English or Chinese). It is deliberately messy: tiny (24 px)
and large (over 2 MP) images, JPEGs stored rotated with EXIF orientation 6 or 8 (sidecar
`exif_orientation`; the scene is in displayed coordinates), near-duplicates (sidecar
`near_duplicate_of` names the original; `near_duplicate_kind` is `reencoded` or `resized`), and
broken files whose sidecar has `broken` (and `broken_detail`); only `wrong_extension` also has a
`scene`, because its pixels are fine:

{broken}

`t2i_jsonl/` holds `metadata.jsonl`, one line per image in `t2i_jsonl/images/`:
`image` (relative path), `caption`, `lang`, `scene`.

`edits/` holds `edits.jsonl`, one line per edit triplet: `source` and `target` images in
`edits/images/`, `instruction`, `inverse_instruction`, `edit_type` (add, remove, recolour, move,
replace), `lang`, and the scene graphs `source_scene` and `target_scene`.

`vqa/` holds `conversations.json` in LLaVA format (`id`, `image`, `conversations` of human/gpt
turns, the first starting with `<image>`) plus the `scene`; images are in `vqa/images/`. Questions
ask for counts, colours, shapes, relative positions and the written text.
"""


def write_world(out: Path, size: str, seed: int, counts: dict) -> None:
    """world.json (tables + counts) and README.md (one paragraph per folder)."""
    world = {
        "seed": seed,
        "size": size,
        "counts": counts,
        "colors": {name: list(rgb) for name, rgb in COLORS.items()},
        "shapes": list(SHAPES),
        "background": list(BACKGROUND),
        "edit_types": list(EDIT_TYPES),
        "broken_kinds": dict(BROKEN_DETAILS),
    }
    write_text(out / "world.json", json.dumps(world, ensure_ascii=False, indent=1) + "\n")
    broken = "\n".join(f"- `{k}`: {v}" for k, v in BROKEN_DETAILS.items())
    readme = README.format(size=size, seed=seed, shapes=", ".join(SHAPES), broken=broken)
    write_text(out / "README.md", readme)


def _finished_world(out: Path) -> dict | None:
    path = out / "world.json"
    return json.loads(path.read_text()) if path.exists() else None


def generate(out: Path, size: str = "small", seed: int = 0, progress: bool = True) -> dict:
    """Write the shapes-world raw dataset into the empty folder ``out``; return the counts.

    ``size`` is ``small`` (about 200 images, seconds) or ``medium`` (about 3,500 images).
    Same ``size`` and ``seed`` give byte-identical files, so a folder that already holds a
    finished world of the same size and seed (world.json is written last) is left as it is.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
    out = Path(out)
    done = _finished_world(out)
    if done is not None and (done["size"], done["seed"]) == (size, seed):
        return done["counts"]
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; generate into a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    plan = SIZES[size]
    n_t2i = plan.t2i + plan.t2i_text + plan.exif + plan.tiny + plan.large + plan.near_duplicates
    total = n_t2i + len(BROKEN_KINDS) + plan.jsonl + plan.edits + plan.vqa
    bar = Progress(total, enabled=progress)
    counts: dict[str, Any] = {}
    counts["t2i"] = write_t2i(out / "t2i", plan, random.Random(f"{seed}:t2i"), bar)
    counts["t2i_jsonl"] = write_t2i_jsonl(
        out / "t2i_jsonl", plan.jsonl, random.Random(f"{seed}:jsonl"), bar
    )
    counts["edits"] = write_edits(out / "edits", plan.edits, random.Random(f"{seed}:edits"), bar)
    counts["vqa"] = write_vqa(out / "vqa", plan.vqa, random.Random(f"{seed}:vqa"), bar)
    bar.close()
    counts["images_total"] = counts["t2i"]["images"] + plan.jsonl + 2 * plan.edits + plan.vqa
    write_world(out, size, seed, counts)
    return counts
