"""The one sample schema shared by all four task kinds (DESIGN.md section 3).

A `Sample` is what every part of the platform reads and writes: ingest builds them, shards store
them (non-image fields as one JSON member, image bytes as one member per role), filters add
`stats` and `verdicts`, training turns them into sequences.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1

TASKS = ("t2i", "it2i", "it2t", "a2a")
ROLES_BY_TASK = {"t2i": ("target",), "it2i": ("source", "target"), "it2t": ("input",), "a2a": ()}
DIRECTIONS = ("forward", "backward")

# Key = "<source>-<hex digest>"; 20 hex digits (80 bits) keep collisions negligible at 1e9 samples.
KEY_DIGEST_HEX = 20
_SOURCE_NAME = re.compile(r"[^a-z0-9_]+")
_ROLE = re.compile(r"^[a-z][a-z0-9_]*$")


class SchemaError(ValueError):
    """A sample violates the schema; the message names the sample key."""


@dataclass
class Image:
    """One image of a sample: original encoded bytes plus what its header says."""

    role: str
    format: str  # canonical file extension: jpg, png, webp, gif, bmp, tiff
    width: int  # stored pixels, before EXIF orientation
    height: int
    data: bytes = field(repr=False)
    orientation: int = 1  # EXIF orientation tag (1 = as stored)
    sha256: str = ""  # of `data`; filled in by __post_init__ when not given

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = hashlib.sha256(self.data).hexdigest()

    def header(self) -> dict[str, Any]:
        """The image's metadata without its bytes (what the JSON member records)."""
        return {
            "role": self.role,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "orientation": self.orientation,
            "bytes": len(self.data),
            "sha256": self.sha256,
        }


@dataclass
class Pair:
    """Edit-pair bookkeeping: both directions of one edit share a group so splits keep them."""

    group_id: str
    direction: str = "forward"
    parent_id: str | None = None
    edit_type: str | None = None


@dataclass
class Sample:
    """One training sample of any task kind; unused text fields stay None."""

    id: str
    task: str
    images: list[Image] = field(default_factory=list)
    prompt: str | None = None
    instruction: str | None = None
    inverse_instruction: str | None = None
    messages: list[dict[str, str]] | None = None
    cot: str | None = None
    lang: str | None = None
    source: str = ""
    license: str | None = None
    origin: str = ""
    pair: Pair | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    verdicts: dict[str, Any] = field(default_factory=dict)

    def image(self, role: str) -> Image:
        for img in self.images:
            if img.role == role:
                return img
        raise KeyError(f"sample {self.id} has no image with role {role!r}")

    def text(self) -> str:
        """The main text of the sample: prompt, instruction, first user turn, or CoT."""
        if self.prompt is not None:
            return self.prompt
        if self.instruction is not None:
            return self.instruction
        if self.messages:
            return self.messages[0]["content"]
        return self.cot or ""

    def metadata(self) -> dict[str, Any]:
        """Every non-image field, JSON-ready, with a fixed key set for every sample."""
        return {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "task": self.task,
            "images": [img.header() for img in self.images],
            "prompt": self.prompt,
            "instruction": self.instruction,
            "inverse_instruction": self.inverse_instruction,
            "messages": self.messages,
            "cot": self.cot,
            "lang": self.lang,
            "source": self.source,
            "license": self.license,
            "origin": self.origin,
            "pair": asdict(self.pair) if self.pair else None,
            "extra": self.extra,
            "stats": self.stats,
            "verdicts": self.verdicts,
        }

    @classmethod
    def from_metadata(cls, meta: dict[str, Any], image_bytes: dict[str, bytes]) -> Sample:
        """Rebuild a sample from its JSON member and its image members (role -> bytes)."""
        images = []
        for h in meta["images"]:
            if h["role"] not in image_bytes:
                raise SchemaError(f"sample {meta['id']}: image member {h['role']!r} missing")
            images.append(
                Image(
                    role=h["role"],
                    format=h["format"],
                    width=h["width"],
                    height=h["height"],
                    data=image_bytes[h["role"]],
                    orientation=h.get("orientation", 1),
                    sha256=h.get("sha256", ""),
                )
            )
        pair = Pair(**meta["pair"]) if meta.get("pair") else None
        fields = {k: meta.get(k) for k in _TEXT_AND_PROVENANCE}
        return cls(
            id=meta["id"],
            task=meta["task"],
            images=images,
            pair=pair,
            extra=meta.get("extra") or {},
            stats=meta.get("stats") or {},
            verdicts=meta.get("verdicts") or {},
            **fields,
        )


_TEXT_AND_PROVENANCE = (
    "prompt",
    "instruction",
    "inverse_instruction",
    "messages",
    "cot",
    "lang",
    "source",
    "license",
    "origin",
)


def source_name(name: str) -> str:
    """A source name usable inside keys: lowercase ascii, digits and underscores only."""
    cleaned = _SOURCE_NAME.sub("_", name.lower()).strip("_")
    return cleaned or "src"


def make_key(source: str, origin: str, content_digest: str) -> str:
    """Stable sample key from the source name, the input's origin and a hash of its content.

    The origin (relative path, or file:line) is part of the hash so two inputs with identical
    bytes still get distinct keys; finding those is the dedup filter's job, not ingest's.
    """
    h = hashlib.blake2b(f"{origin}\0{content_digest}".encode(), digest_size=16).hexdigest()
    return f"{source_name(source)}-{h[:KEY_DIGEST_HEX]}"


def validate_sample(sample: Sample) -> None:
    """Raise SchemaError naming the key if the sample breaks a schema rule."""
    key = sample.id
    if not key or "." in key or "/" in key or key != key.lower():
        raise SchemaError(f"sample {key!r}: keys must be non-empty, lowercase, without '.' or '/'")
    if sample.task not in TASKS:
        raise SchemaError(f"sample {key}: unknown task {sample.task!r} (one of {TASKS})")
    roles = [img.role for img in sample.images]
    if len(set(roles)) != len(roles):
        raise SchemaError(f"sample {key}: duplicate image roles {roles}")
    for role in roles:
        if not _ROLE.match(role):
            raise SchemaError(f"sample {key}: image role {role!r} must match {_ROLE.pattern}")
    expected = ROLES_BY_TASK[sample.task]
    if sample.task in ("t2i", "it2i") and sorted(roles) != sorted(expected):
        raise SchemaError(f"sample {key}: task {sample.task} needs images {expected}, got {roles}")
    _validate_text(sample)


def _validate_text(sample: Sample) -> None:
    key, task = sample.id, sample.task
    if task == "t2i" and not sample.prompt:
        raise SchemaError(f"sample {key}: t2i needs a prompt")
    if task == "it2i" and not sample.instruction:
        raise SchemaError(f"sample {key}: it2i needs an instruction")
    if task == "it2t":
        msgs = sample.messages or []
        if not msgs or any(set(m) != {"role", "content"} for m in msgs):
            raise SchemaError(f"sample {key}: it2t needs messages [{{role, content}}, ...]")
    if sample.pair and sample.pair.direction not in DIRECTIONS:
        raise SchemaError(f"sample {key}: pair direction must be one of {DIRECTIONS}")
