"""img2dataset output: a folder of tars with KEY.<img ext>, KEY.txt (caption) and KEY.json.

Members are read as bytes and never extracted, so no member name can write anywhere; links,
directories and members with no image are recorded as rejected.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.images import IMAGE_EXTENSIONS
from corpus.ingest.records import RawImage, RawRecord, extra_fields


def read(src: Path, task: str | None = None) -> Iterator[RawRecord]:
    if (task or "t2i") != "t2i":
        raise ValueError(f"{src}: img2dataset output holds t2i samples, not {task}")
    for tar_path in sorted(src.glob("*.tar")):
        yield from _read_tar(tar_path)


def _read_tar(path: Path) -> Iterator[RawRecord]:
    key, fields = None, {}
    try:
        with tarfile.open(path, mode="r:") as tar:
            for info in tar:
                name = info.name
                if not info.isfile():
                    yield RawRecord(f"{path.name}/{name}", "t2i", error="not a regular file")
                    continue
                base = name.rsplit("/", 1)[-1]
                k, _, ext = base.partition(".")
                if k != key and key is not None:
                    yield _record(path, key, fields)
                    fields = {}
                key = k
                if _unsafe(name):
                    fields["unsafe"] = name.encode()
                else:
                    fields[ext.lower()] = tar.extractfile(info).read()
    except tarfile.TarError as e:
        yield RawRecord(path.name, "t2i", error=f"{path}: unreadable tar after {key} ({e})")
    if key is not None:
        yield _record(path, key, fields)


def _unsafe(name: str) -> bool:
    """Absolute names or names with '..' could point outside a directory if extracted."""
    return name.startswith("/") or ".." in name.split("/")


def _record(path: Path, key: str, fields: dict[str, bytes]) -> RawRecord:
    origin = f"{path.name}/{key}"
    record = RawRecord(origin, "t2i")
    if "unsafe" in fields:
        record.error = f"{origin}: unsafe member name {fields['unsafe'].decode()!r} (not read)"
        return record
    images = [ext for ext in fields if ext in IMAGE_EXTENSIONS]
    if len(images) != 1:
        record.error = f"{origin}: expected one image member, found {len(images)}"
        return record
    meta = _meta(fields.get("json"))
    caption = fields.get("txt", b"").decode("utf-8", errors="replace").strip()
    caption = caption or meta.get("caption") or ""
    if not caption:
        record.error = f"{origin}: no caption (.txt member or caption in .json)"
        return record
    record.images = [RawImage("target", data=fields[images[0]], name=f"{origin}.{images[0]}")]
    record.text["prompt"] = caption
    record.lang, record.license = meta.get("lang"), meta.get("license")
    record.extra = extra_fields(meta)
    return record


def _meta(data: bytes | None) -> dict[str, Any]:
    if not data:
        return {}
    try:
        meta = json.loads(data)
    except json.JSONDecodeError:
        return {}
    return meta if isinstance(meta, dict) else {}
