"""An image folder with sidecar captions: NAME.<img ext> plus NAME.txt and/or NAME.json.

`NAME.txt` is the caption; `NAME.json` may hold `caption`/`prompt`/`text`, `lang`, `license`
and anything else (kept in `extra`). Every file in the tree is accounted for: it belongs to a
sample, or it is yielded as a rejected record with the reason.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.images import IMAGE_EXTENSIONS
from corpus.ingest.records import PROMPT_COLUMNS, RawImage, RawRecord, extra_fields, first

SIDECAR_EXTENSIONS = ("txt", "json")


def read(src: Path, task: str | None = None) -> Iterator[RawRecord]:
    if (task or "t2i") != "t2i":
        raise ValueError(f"{src}: an image folder holds t2i samples, not {task}")
    for rels in _walk(src):
        by_stem: dict[str, list[str]] = defaultdict(list)
        for rel in rels:
            by_stem[rel.rsplit(".", 1)[0]].append(rel)
        for stem in sorted(by_stem):
            yield from _records(src, stem, by_stem[stem])


def _walk(root: Path) -> Iterator[list[str]]:
    """Relative paths of the files of each directory, one directory at a time, sorted."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        prefix = Path(dirpath).relative_to(root).as_posix()  # string joins: this runs per file
        yield [name if prefix == "." else f"{prefix}/{name}" for name in sorted(filenames)]


def _ext(rel: str) -> str:
    return rel.rsplit(".", 1)[-1].lower() if "." in rel else ""


def _records(root: Path, stem: str, rels: list[str]) -> Iterator[RawRecord]:
    images = [r for r in rels if _ext(r) in IMAGE_EXTENSIONS]
    sidecars = {_ext(r): r for r in rels if _ext(r) in SIDECAR_EXTENSIONS}
    others = [r for r in rels if r not in images and r not in sidecars.values()]
    for rel in others:
        yield RawRecord(rel, "t2i", error=f"{rel}: not an image or caption file (.{_ext(rel)})")
    if not images:
        for rel in sidecars.values():
            yield RawRecord(rel, "t2i", error=f"{rel}: caption without an image")
        return
    for rel in images:
        yield _record(root, rel, sidecars, shared=len(images) > 1)


def _record(root: Path, rel: str, sidecars: dict[str, str], shared: bool) -> RawRecord:
    record = RawRecord(rel, "t2i", images=[RawImage("target", f"{root}/{rel}", name=rel)])
    try:
        meta = _json_sidecar(root, sidecars.get("json"))
        caption = _caption(root, sidecars.get("txt"), meta)
    except (OSError, ValueError) as e:
        record.error = f"{rel}: bad sidecar ({e})"
        return record
    if caption is None:
        record.error = f"{rel}: no caption (.txt or .json sidecar with caption/prompt/text)"
        return record
    record.text["prompt"] = caption
    record.lang, record.license = meta.get("lang"), meta.get("license")
    record.extra = extra_fields(meta)
    if shared:
        record.extra["sidecar_shared_with_other_images"] = True
    return record


def _json_sidecar(root: Path, rel: str | None) -> dict[str, Any]:
    if rel is None:
        return {}
    meta = json.loads((root / rel).read_text(encoding="utf-8"))
    if not isinstance(meta, dict):
        raise ValueError(f"{rel} is not a JSON object")
    return meta


def _caption(root: Path, txt: str | None, meta: dict[str, Any]) -> str | None:
    if txt is not None:
        text = (root / txt).read_text(encoding="utf-8").strip()
        return text or None
    _, value = first(meta, PROMPT_COLUMNS)
    return value.strip() if isinstance(value, str) and value.strip() else None
