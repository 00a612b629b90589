"""Turning a raw record into a sample: load the bytes, probe the images, derive the key.

Runs in the ingest workers. Any problem becomes a rejection reason naming the input; nothing
here raises for bad input.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from corpus.images import DEFAULT_MAX_PIXELS, ImageError, probe, reencode_png
from corpus.ingest.records import RawImage, RawRecord
from corpus.schema import Image, Pair, Sample, SchemaError, make_key, validate_sample

REENCODE_MODES = ("never", "unsupported", "all")
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF))
_KANA, _HANGUL = (0x3040, 0x30FF), (0xAC00, 0xD7AF)


@dataclass(frozen=True)
class BuildOptions:
    source: str
    max_pixels: int = DEFAULT_MAX_PIXELS
    verify: str = "header"  # "header": read headers only; "decode": also decode every image
    reencode: str = "never"  # re-encode to PNG: never, only unsupported formats, or all


def build(record: RawRecord, opts: BuildOptions) -> Sample | str:
    """The sample for a record, or the reason it is rejected."""
    if record.error:
        return record.error
    images = []
    for raw in record.images:
        image = _image(raw, opts)
        if isinstance(image, str):
            return f"{record.origin}: {raw.role} image {raw.name}: {image}"
        images.append(image)
    sample = _sample(record, images, opts.source)
    try:
        validate_sample(sample)
    except SchemaError as e:
        return f"{record.origin}: {e}"
    return sample


def _image(raw: RawImage, opts: BuildOptions) -> Image | str:
    try:
        data = raw.data if raw.data is not None else _read(raw.path)
    except OSError as e:
        return f"cannot read ({e.strerror or e})"
    try:
        info = probe(data, opts.max_pixels, decode=opts.verify == "decode")
    except ImageError as e:
        if opts.reencode == "never" or not str(e).startswith("unsupported"):
            return str(e)
        info = None
    if opts.reencode == "all" or (info is None and opts.reencode == "unsupported"):
        try:
            data = reencode_png(data)
            info = probe(data, opts.max_pixels)
        except (ImageError, OSError, ValueError) as e:
            return f"re-encoding failed ({e})"
    return Image(raw.role, info.format, info.width, info.height, data, info.orientation)


def _read(path: str | None) -> bytes:
    if path is None:
        raise OSError("no path or bytes")
    with open(path, "rb") as f:
        return f.read()


def _sample(record: RawRecord, images: list[Image], source: str) -> Sample:
    text = record.text
    digest = _content_digest(images, text)
    key = make_key(source, record.origin, digest)
    pair = None
    if record.task == "it2i":
        pair = Pair(group_id=key, direction="forward", edit_type=record.edit_type)
    return Sample(
        id=key,
        task=record.task,
        images=images,
        prompt=text.get("prompt"),
        instruction=text.get("instruction"),
        inverse_instruction=text.get("inverse_instruction"),
        messages=text.get("messages"),
        cot=text.get("cot"),
        lang=record.lang or detect_lang(" ".join(_strings(text))),
        source=source,
        license=record.license,
        origin=record.origin,
        pair=pair,
        extra=record.extra,
    )


def _content_digest(images: list[Image], text: dict) -> str:
    h = hashlib.blake2b(digest_size=16)
    for img in images:
        h.update(img.role.encode() + b"\0" + hashlib.blake2b(img.data).digest())
    h.update(json.dumps(text, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


def _strings(text: dict) -> list[str]:
    out = [v for v in text.values() if isinstance(v, str)]
    out += [m["content"] for m in text.get("messages") or []]
    return out


def detect_lang(text: str) -> str:
    """A cheap script-based guess (zh, ja, ko, else en) for inputs that do not state a language."""
    counts = {"zh": 0, "ja": 0, "ko": 0}
    for ch in text:
        cp = ord(ch)
        if any(lo <= cp <= hi for lo, hi in _CJK_RANGES):
            counts["zh"] += 1
        elif _KANA[0] <= cp <= _KANA[1]:
            counts["ja"] += 1
        elif _HANGUL[0] <= cp <= _HANGUL[1]:
            counts["ko"] += 1
    if counts["ja"]:
        return "ja"
    best = max(counts, key=counts.get)
    return best if counts[best] else "en"
