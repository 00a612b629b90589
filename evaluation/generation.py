"""The generate stage's view of the Mammoth2 model: load a checkpoint, make images from prompts.

It relies on the interface of ``models`` (``Mammoth2.from_pretrained(path)`` and
``generate_images(prompts, ...) -> list[PIL.Image]``) and fails with a clear message when the
model package does not provide it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from evaluation.errors import BadInput


def load_model(ckpt: str | None) -> Any:
    """The Mammoth2 model of ``ckpt``; a clear error if the checkpoint or the model is missing."""
    if ckpt is None:
        raise BadInput("CKPT", None, "the generate stage needs a checkpoint folder")
    if not Path(ckpt).exists():
        raise BadInput(ckpt, None, "checkpoint not found")
    try:
        from models.mammoth2 import Mammoth2
    except ImportError:
        raise BadInput(ckpt, None, "models.mammoth2.Mammoth2 is not available") from None
    try:
        return Mammoth2.from_pretrained(ckpt)
    except (FileNotFoundError, ValueError) as e:
        raise BadInput(ckpt, None, f"cannot load the checkpoint ({e})") from None


def generate_images(
    model: Any, prompts: list[str], resolution: int | None, seed: int, steps: int | None = None
) -> list[Image.Image]:
    """One image per prompt, seeded per call; None keeps the model's default size / steps."""
    kwargs: dict[str, Any] = (
        {} if resolution is None else {"height": resolution, "width": resolution}
    )
    if steps is not None:
        kwargs["num_steps"] = steps
    images = model.generate_images(prompts, seed=seed, **kwargs)
    if len(images) != len(prompts):
        raise RuntimeError(f"model returned {len(images)} images for {len(prompts)} prompts")
    return images
