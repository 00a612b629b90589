"""What readers yield: a raw record that names its input, before any bytes are checked.

Readers only enumerate (cheap, in the main process); records travel to workers, which load and
probe the bytes. A record may carry its image bytes inline (tables, tars, HF datasets) or a path.
A record a reader could not make sense of carries `error` and becomes a rejection.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Column names users' tables put things under, most specific first.
IMAGE_COLUMNS = ("image", "image_path", "img", "path", "file", "file_name", "jpg", "png", "webp")
IMAGE_BYTES_COLUMNS = ("image_bytes", "bytes")
PROMPT_COLUMNS = ("prompt", "caption", "text", "TEXT", "txt", "description")
SOURCE_COLUMNS = ("source", "source_image", "input_image", "src_img", "input")
TARGET_COLUMNS = ("target", "target_image", "output_image", "edited_image", "edited_img", "output")
INSTRUCTION_COLUMNS = ("instruction", "edit", "edit_prompt", "edit_instruction")
INVERSE_COLUMNS = ("inverse_instruction", "inverse_edit")
KNOWN_COLUMNS = frozenset(
    IMAGE_COLUMNS
    + IMAGE_BYTES_COLUMNS
    + PROMPT_COLUMNS
    + SOURCE_COLUMNS
    + TARGET_COLUMNS
    + INSTRUCTION_COLUMNS
    + INVERSE_COLUMNS
    + ("lang", "license", "edit_type", "conversations", "messages", "cot", "id")
)


@dataclass
class RawImage:
    role: str
    path: str | None = None  # absolute path to read, or None when `data` is given
    data: bytes | None = None
    name: str = ""  # how the input named it (path or url), for rejection reasons


@dataclass
class RawRecord:
    origin: str  # names the input: a path relative to the source root, or FILE:LINE / FILE#ROW
    task: str
    images: list[RawImage] = field(default_factory=list)
    text: dict[str, Any] = field(default_factory=dict)  # prompt/instruction/messages/cot...
    lang: str | None = None
    license: str | None = None
    edit_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # set when the reader could not interpret the input


def first(row: dict[str, Any], names: tuple[str, ...]) -> tuple[str | None, Any]:
    """The first of `names` present in the row with a non-empty value."""
    for name in names:
        value = row.get(name)
        if value is not None and value != "":
            return name, value
    return None, None


def raw_image(role: str, value: Any, base: Path) -> RawImage:
    """Interpret a table cell as an image: a path, a data URL, raw bytes or an HF Image dict.

    Raises ValueError with the reason when the cell cannot be an image we can read offline.
    """
    if isinstance(value, dict):
        if value.get("bytes"):
            return RawImage(role, data=bytes(value["bytes"]), name=str(value.get("path") or ""))
        value = value.get("path")
    if isinstance(value, bytes | bytearray | memoryview):
        return RawImage(role, data=bytes(value), name="<bytes>")
    if not isinstance(value, str) or not value:
        raise ValueError(f"{role} image: expected a path or bytes, got {type(value).__name__}")
    if value.startswith("data:image/"):
        return RawImage(role, data=_data_url(value), name="<data url>")
    if "://" in value:
        raise ValueError(f"{role} image {value!r} is a URL; ingest reads local files only")
    path = Path(value)
    return RawImage(role, path=str(path if path.is_absolute() else base / path), name=value)


def _data_url(value: str) -> bytes:
    try:
        return base64.b64decode(value.split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error) as e:
        raise ValueError(f"invalid base64 data URL ({e})") from None


def extra_fields(row: dict[str, Any]) -> dict[str, Any]:
    """Columns we do not map to schema fields are kept, so nothing the user had is lost."""
    return {k: v for k, v in row.items() if k not in KNOWN_COLUMNS and not k.startswith("__")}


def record_from_row(row: dict[str, Any], task: str, base: Path, origin: str) -> RawRecord:
    """Map one table row (jsonl/csv/parquet/HF) of any task to a record."""
    record = RawRecord(origin=origin, task=task, extra=extra_fields(row))
    record.lang, record.license = row.get("lang"), row.get("license")
    try:
        _ROW_MAPPERS[task](row, base, record)
    except ValueError as e:
        record.error = str(e)
    return record


def _t2i_row(row: dict[str, Any], base: Path, record: RawRecord) -> None:
    name, value = first(row, IMAGE_BYTES_COLUMNS + IMAGE_COLUMNS)
    if name is None:
        raise ValueError(f"no image column (one of {IMAGE_COLUMNS + IMAGE_BYTES_COLUMNS})")
    record.images = [raw_image("target", value, base)]
    record.text["prompt"] = _required(row, PROMPT_COLUMNS, "caption")


def _it2i_row(row: dict[str, Any], base: Path, record: RawRecord) -> None:
    src_name, src = first(row, SOURCE_COLUMNS)
    tgt_name, tgt = first(row, TARGET_COLUMNS)
    if src_name is None or tgt_name is None:
        raise ValueError(f"edit rows need source and target columns ({SOURCE_COLUMNS[0]}, ...)")
    record.images = [raw_image("source", src, base), raw_image("target", tgt, base)]
    record.text["instruction"] = _required(row, INSTRUCTION_COLUMNS, "instruction")
    record.text["inverse_instruction"] = first(row, INVERSE_COLUMNS)[1]
    record.edit_type = row.get("edit_type")


def _it2t_row(row: dict[str, Any], base: Path, record: RawRecord) -> None:
    """LLaVA style: `image` (one path or a list) and `conversations` [{from, value}]."""
    images = row.get("image") or row.get("images") or []
    images = [images] if isinstance(images, str | dict | bytes) else list(images)
    record.images = [raw_image(input_role(i), v, base) for i, v in enumerate(images)]
    turns = row.get("conversations") or row.get("messages")
    if not isinstance(turns, list) or not turns:
        raise ValueError("missing conversations (a list of {from, value} turns)")
    record.text["messages"] = [_message(t) for t in turns]


def input_role(index: int) -> str:
    """Role names of understanding inputs: input, input_1, input_2, ..."""
    return "input" if index == 0 else f"input_{index}"


def _message(turn: Any) -> dict[str, str]:
    if not isinstance(turn, dict):
        raise ValueError(f"conversation turn is {type(turn).__name__}, not an object")
    speaker = turn.get("from", turn.get("role"))
    content = turn.get("value", turn.get("content"))
    if speaker not in _SPEAKERS or not isinstance(content, str):
        raise ValueError(f"conversation turn needs from in {sorted(_SPEAKERS)} and a text value")
    return {"role": _SPEAKERS[speaker], "content": content}


_SPEAKERS = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
}


def _a2a_row(row: dict[str, Any], base: Path, record: RawRecord) -> None:
    record.text["cot"] = _required(row, ("cot",), "cot")
    record.text["prompt"] = first(row, PROMPT_COLUMNS)[1]
    images = row.get("images") or []
    record.images = [raw_image(input_role(i), v, base) for i, v in enumerate(images)]


def _required(row: dict[str, Any], names: tuple[str, ...], what: str) -> str:
    _, value = first(row, names)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"missing {what} (one of columns {names})")
    return value


_ROW_MAPPERS = {"t2i": _t2i_row, "it2i": _it2i_row, "it2t": _it2t_row, "a2a": _a2a_row}
