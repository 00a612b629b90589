"""GenEval's recorded oracle output: ``detections.jsonl``, one line per generated image.

``{"index": prompt index, "image": path, "detections": [{"label", "score", "box": [x1,y1,x2,y2],
"color"}]}``; ``color`` is the colour classifier's answer for that detection, or null. Scores and
boxes are written from the detector's float32 arrays; reading them back as float32 is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.errors import BadInput
from evaluation.jsonl import append_jsonl, iter_jsonl, require


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    box: tuple[float, float, float, float]
    color: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": self.score,
            "box": list(self.box),
            "color": self.color,
        }


@dataclass(frozen=True)
class ImageDetections:
    index: int
    image: str
    detections: tuple[Detection, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "image": self.image,
            "detections": [d.to_dict() for d in self.detections],
        }


def _detection(obj: Any, path: Path, item: str) -> Detection:
    if not isinstance(obj, dict):
        raise BadInput(path, item, "a detection must be an object")
    box = require(obj, "box", path, item)
    if not isinstance(box, list) or len(box) != 4:
        raise BadInput(path, item, f"box must be [x1, y1, x2, y2], got {box!r}")
    color = obj.get("color")
    return Detection(
        label=str(require(obj, "label", path, item)),
        score=float(require(obj, "score", path, item)),
        box=tuple(float(v) for v in box),
        color=None if color is None else str(color),
    )


def read_detections(path: str | Path) -> list[ImageDetections]:
    """Parse ``detections.jsonl``; a malformed line raises ``BadInput`` naming line and image."""
    path = Path(path)
    out = []
    for lineno, obj in iter_jsonl(path):
        item = f"line {lineno}"
        image = str(require(obj, "image", path, item))
        item = f"line {lineno} ({image})"
        dets = require(obj, "detections", path, item)
        if not isinstance(dets, list):
            raise BadInput(path, item, "detections must be a list")
        index = require(obj, "index", path, item)
        if not isinstance(index, int):
            raise BadInput(path, item, f"index must be an integer, got {index!r}")
        out.append(ImageDetections(index, image, tuple(_detection(d, path, item) for d in dets)))
    return out


def append_detections(path: str | Path, rows: list[ImageDetections]) -> None:
    append_jsonl(path, (r.to_dict() for r in rows))
