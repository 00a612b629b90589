"""GenEval's oracle stage: run a detector over the image folder and record ``detections.jsonl``.

Detectors are registered by name (``shapes``, ``mask2former``) and map a PIL image to
``Detection``s with the colour classifier's answer filled in. Recording is resumable: images
already in the file are skipped, and each finished image is appended at once. The detector's
identity (name, weights, settings) is kept next to the file, and a run with another detector
stops instead of mixing the two detectors' answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps
from tqdm import tqdm

from evaluation.errors import BadInput
from evaluation.geneval.detections import Detection, ImageDetections, append_detections
from evaluation.geneval.layout import discover
from evaluation.geneval.metadata import PromptMeta
from evaluation.jsonl import iter_jsonl
from evaluation.registry import Registry

Detector = Callable[[Image.Image], list[Detection]]
DETECTORS: Registry[Callable[..., Detector]] = Registry("detector")


@dataclass(frozen=True)
class DetectorOptions:
    detector_model: str | None = None  # local path or hub id of the detector weights
    clip_model: str | None = None  # local path or hub id of the colour classifier's CLIP
    device: str | None = None


@DETECTORS.register("shapes")
def _shapes(options: DetectorOptions) -> Detector:
    from evaluation.detectors.shapes import detect_shapes

    return detect_shapes


@DETECTORS.register("mask2former")
def _mask2former(options: DetectorOptions) -> Detector:
    from evaluation.geneval.mask2former import make_mask2former_detector

    return make_mask2former_detector(options)


def detector_info(name: str, options: DetectorOptions) -> dict[str, Any]:
    """What decides the detections: the detector, its weights and (shapes) its settings."""
    info: dict[str, Any] = {
        "detector": name,
        "detector_model": options.detector_model,
        "clip": options.clip_model,
    }
    if name == "shapes":
        from evaluation.detectors.shapes import ShapesDetectorConfig

        info["settings"] = asdict(ShapesDetectorConfig())
    return info


def _done(path: Path) -> set[str]:
    return {obj["image"] for _, obj in iter_jsonl(path)} if path.exists() else set()


def check_identity(records: Path, identity: dict[str, Any]) -> None:
    """Records the detector beside ``records``; stops if earlier records came from another one."""
    sidecar = records.with_name(records.stem + ".detector.json")
    if records.exists() and sidecar.exists():
        recorded = json.loads(sidecar.read_text())
        if recorded != identity:
            raise BadInput(
                records,
                None,
                f"recorded by detector {recorded}, but this run's is {identity}: delete "
                f"{records.name} and {sidecar.name} to detect again, or score into another --run",
            )
    sidecar.write_text(json.dumps(identity, sort_keys=True) + "\n")


def detect_folder(
    folder: Path,
    records: Path,
    detector: Detector,
    identity: dict[str, Any],
    progress: bool = True,
) -> dict[int, PromptMeta]:
    """Append detections of every not-yet-recorded image; returns each prompt folder's metadata."""
    samples = discover(folder)
    check_identity(records, identity)
    done = _done(records)
    todo = [(m, p) for m, p in samples if str(p.relative_to(folder)) not in done]
    for meta, path in tqdm(todo, desc="detect", disable=not progress):
        try:
            image = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        except OSError as e:
            raise BadInput(path, meta.index, f"unreadable image ({e})") from None
        rel = str(path.relative_to(folder))
        append_detections(records, [ImageDetections(meta.index, rel, tuple(detector(image)))])
    return {m.index: m for m, _ in samples}
