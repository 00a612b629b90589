"""Turning a raw record into a sample: load the bytes, probe the images, derive the key.

Runs in the ingest workers. Any problem becomes a rejection reason naming the input; nothing
here raises for bad input.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from corpus.images import DEFAULT_MAX_PIXELS, ImageError, probe, reencode_png
from corpus.ingest.records import RawImage, RawRecord
from corpus.schema import Image, Pair, Sample, SchemaError, make_key, validate_sample

REENCODE_MODES = ("never", "unsupported", "all")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af]")


@dataclass(frozen=True)
class BuildOptions:
    source: str
    max_pixels: int = DEFAULT_MAX_PIXELS
    verify: str = "header"  # "header": read headers only; "decode": also decode every image
    reencode: str = "never"  # re-encode to PNG: never, only unsupported formats, or all


@dataclass(frozen=True)
class Rejection:
    kind: str  # a category to count by: bad_input, unreadable_file, schema, or an ImageError kind
    reason: str  # names the input and says what is wrong with it


def build(record: RawRecord, opts: BuildOptions) -> Sample | Rejection:
    """The sample for a record, or why it is rejected."""
    if record.error:
        return Rejection("bad_input", record.error)
    images = []
    for raw in record.images:
        image = _image(raw, opts)
        if isinstance(image, Rejection):
            named = "" if raw.name == record.origin else f" {raw.name}"
            reason = f"{record.origin}: {raw.role} image{named}: {image.reason}"
            return Rejection(image.kind, reason)
        images.append(image)
    sample = _sample(record, images, opts.source)
    try:
        validate_sample(sample)
    except SchemaError as e:
        return Rejection("schema", f"{record.origin}: {e}")
    return sample


def _image(raw: RawImage, opts: BuildOptions) -> Image | Rejection:
    try:
        data = raw.data if raw.data is not None else _read(raw.path)
    except OSError as e:
        return Rejection("unreadable_file", f"cannot read ({e.strerror or e})")
    try:
        info = probe(data, opts.max_pixels, decode=opts.verify == "decode")
    except ImageError as e:
        if opts.reencode == "never" or e.kind != "unsupported_format":
            return Rejection(e.kind, str(e))
        info = None
    if opts.reencode == "all" or info is None:
        try:
            data = reencode_png(data)
            info = probe(data, opts.max_pixels)
        except (ImageError, OSError, ValueError) as e:
            return Rejection("corrupt_image", f"re-encoding failed ({e})")
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
    h = hashlib.sha256()
    for img in images:
        h.update(f"{img.role}\0{img.sha256}\0".encode())
    h.update(json.dumps(text, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


def _strings(text: dict) -> list[str]:
    out = [v for v in text.values() if isinstance(v, str)]
    out += [m["content"] for m in text.get("messages") or []]
    return out


def detect_lang(text: str) -> str:
    """A cheap script-based guess (zh, ja, ko, else en) for inputs that do not state a language."""
    if text.isascii():
        return "en"
    if _KANA.search(text):
        return "ja"
    han, hangul = len(_HAN.findall(text)), len(_HANGUL.findall(text))
    if han or hangul:
        return "zh" if han >= hangul else "ko"
    return "en"
