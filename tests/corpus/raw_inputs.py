"""Small raw inputs in every format ingest reads, made in the test; ingesting and comparing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import PIL.Image

from corpus.ingest import IngestConfig, SourceSpec, ingest

TEST_DATA = Path(__file__).resolve().parents[1] / "data"
ODD_IMAGES = TEST_DATA / "odd_images"  # Pillow's odd and broken test files (INDEX.md)
REAL_PHOTOS = TEST_DATA / "real_photos"  # real photographs with captions (ATTRIBUTION.md)


def encode(color: tuple[int, int, int], size=(48, 32), fmt="PNG", seed: int = 0) -> bytes:
    """A small image: a colour plus noise, so different seeds give different bytes."""
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.array(color) + rng.integers(-20, 20, (size[1], size[0], 3)), 0, 255)
    out = io.BytesIO()
    PIL.Image.fromarray(pixels.astype(np.uint8)).save(out, format=fmt)
    return out.getvalue()


def write_folder(root: Path, n: int = 6) -> Path:
    """An image folder: mixed formats, .txt and .json sidecars, one broken file, one orphan."""
    root.mkdir(parents=True, exist_ok=True)
    formats = ["PNG", "JPEG", "WEBP"]
    for i in range(n):
        fmt = formats[i % 3]
        ext = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}[fmt]
        (root / f"img_{i}.{ext}").write_bytes(encode((200, 30 * i, 40), fmt=fmt, seed=i))
        if i % 2:
            (root / f"img_{i}.txt").write_text(f"a red square number {i}")
        else:
            meta = {"caption": f"一个红色方块 {i}", "lang": "zh", "scene": {"objects": [i]}}
            (root / f"img_{i}.json").write_text(json.dumps(meta, ensure_ascii=False))
    (root / "broken.jpg").write_bytes(b"this is not a jpeg")
    (root / "broken.txt").write_text("caption of a broken file")
    (root / "orphan.txt").write_text("a caption with no image")
    return root


def write_numbered_folder(root: Path, n: int) -> Path:
    """n distinct 96x96 PNGs with captions, and one empty image file (a rejection)."""
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"{i:04d}.png").write_bytes(encode((i % 256, 80, 160), size=(96, 96), seed=i))
        (root / f"{i:04d}.txt").write_text(f"image {i}")
    (root / "0007.png").write_bytes(b"")
    return root


def write_edits(root: Path, n: int = 4) -> Path:
    """An edit-triplet jsonl with images beside it."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        (root / "images" / f"s{i}.png").write_bytes(encode((10, 200, 10), seed=100 + i))
        (root / "images" / f"t{i}.png").write_bytes(encode((10, 10, 200), seed=200 + i))
        lines.append(
            {
                "source": f"images/s{i}.png",
                "target": f"images/t{i}.png",
                "instruction": "make the square blue",
                "inverse_instruction": "make the square green",
                "edit_type": "recolour",
            }
        )
    path = root / "edits.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n")
    return path


def write_llava(root: Path, n: int = 3) -> Path:
    (root / "images").mkdir(parents=True, exist_ok=True)
    items = []
    for i in range(n):
        (root / "images" / f"q{i}.jpg").write_bytes(encode((0, 0, 0), fmt="JPEG", seed=300 + i))
        turns = [
            {"from": "human", "value": "<image>\nHow many squares?"},
            {"from": "gpt", "value": str(i + 1)},
        ]
        items.append({"id": f"q{i}", "image": f"images/q{i}.jpg", "conversations": turns})
    items.append({"id": "missing", "image": "images/nope.jpg", "conversations": turns})
    path = root / "conversations.json"
    path.write_text(json.dumps(items))
    return path


def write_img2dataset(root: Path, n: int = 3) -> Path:
    """An img2dataset-style tar, plus a hostile member name that must never be extracted."""
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(root / "00000.tar", "w") as tar:
        members = []
        for i in range(n):
            key = f"00000{i:04d}"
            members += [
                (f"{key}.jpg", encode((90, 90, 90), fmt="JPEG", seed=400 + i)),
                (f"{key}.txt", f"grey square {i}".encode()),
                (f"{key}.json", json.dumps({"url": f"http://x/{i}", "key": key}).encode()),
            ]
        members += [("../../escape.jpg", encode((1, 2, 3), fmt="JPEG")), ("../../escape.txt", b"x")]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return root


def ingest_paths(out: Path, *paths: Path, **cfg) -> object:
    cfg.setdefault("progress", False)
    return ingest([SourceSpec(p) for p in paths], IngestConfig(out=out, **cfg))


def assert_same_dataset(a: Path, b: Path) -> None:
    """Every file two ingests left (work directory included) is byte-identical, except
    dataset.json's lineage, of which only what the inputs decide is compared (not the command,
    code version or time)."""
    files_a, files_b = _files(a), _files(b)
    assert files_a.keys() == files_b.keys()
    assert [name for name in files_a if files_a[name] != files_b[name]] == []


def _files(out: Path) -> dict[str, bytes]:
    files = {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }
    info = json.loads(files["dataset.json"])
    info["lineage"] = {k: info["lineage"][k] for k in ("tool", "sources")}
    files["dataset.json"] = json.dumps(info).encode()
    return files
