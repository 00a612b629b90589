"""ImgEdit test helpers: items, source images and edited outputs in the official layout, and the
check of the official judge request (gen_edit_benchmarks.md 3.1-3.2)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PIL import Image

SIDE = 8  # pixels of a source or edited image unless a test sets a size
EDITED_COLOUR = (200, 0, 0)


def write_sources(
    root: Path, items: dict[str, dict], sizes: dict[str, tuple[int, int]] | None = None
) -> None:
    """A source image ``root/<id>`` per item, each of its own colour."""
    for n, (key, item) in enumerate(items.items()):
        path = root / item["id"]
        path.parent.mkdir(parents=True, exist_ok=True)
        size = (sizes or {}).get(key, (SIDE, SIDE))
        Image.new("RGB", size, (40 * n, 90, 160)).save(path)


def official_subset(
    tmp_path: Path, official: Path, keys: Iterable[str], sizes: dict | None = None
) -> dict[str, dict]:
    """Items ``keys`` of an official items file, written to ``tmp_path/items.json``, with their
    sources under ``tmp_path/Benchmark``."""
    items = json.loads(official.read_text())
    subset = {k: items[k] for k in keys}
    (tmp_path / "items.json").write_text(json.dumps(subset))
    write_sources(tmp_path / "Benchmark", subset, sizes)
    return subset


def write_edits(outputs: Path, keys: Iterable[str]) -> None:
    """An edited image ``outputs/<key>.png`` per key."""
    outputs.mkdir(parents=True, exist_ok=True)
    for key in keys:
        Image.new("RGB", (SIDE, SIDE), EDITED_COLOUR).save(outputs / f"{key}.png")


def request_content(requests: list[dict[str, Any]], instruction: str) -> list[dict[str, Any]]:
    """The user message of the one judge request whose text holds ``instruction``."""
    [content] = [
        r["messages"][0]["content"]
        for r in requests
        if instruction in r["messages"][0]["content"][0]["text"]
    ]
    return content


def assert_official_request(content: list[dict[str, Any]], original: bytes, edited: bytes) -> None:
    """A text, then exactly the original and the edited image, each a PNG data URL of the file's
    raw bytes (spec 3.2)."""
    assert [p["type"] for p in content] == ["text", "image_url", "image_url"]
    for part, raw in zip(content[1:], (original, edited), strict=True):
        assert part["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(raw).decode()
