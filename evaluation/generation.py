"""The generate stage's view of the Mammoth2 model: load a checkpoint, make or edit images, and
the resumable, rank-sharded loop every generation benchmark runs.

It relies on the interface of ``models`` (``Mammoth2.from_pretrained(path, device=)``,
``generate_images(prompts, ...)`` and ``edit(images, instructions, ...)``, both returning PIL
images) and fails with a clear message when the model package does not provide it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image
from tqdm import tqdm

from corpus.atomic import atomic_path
from evaluation.distributed import local_device, shard, wait_for_all_ranks
from evaluation.errors import BadInput

T = TypeVar("T")


def load_model(ckpt: str | None, device: str | None = None) -> Any:
    """The Mammoth2 model of ``ckpt`` on ``device`` (default: this rank's GPU, else CPU)."""
    if ckpt is None:
        raise BadInput("CKPT", None, "the generate stage needs a checkpoint folder")
    if not Path(ckpt).exists():
        raise BadInput(ckpt, None, "checkpoint not found")
    try:
        from models.mammoth2 import Mammoth2
    except ImportError:
        raise BadInput(ckpt, None, "models.mammoth2.Mammoth2 is not available") from None
    try:
        return Mammoth2.from_pretrained(ckpt, device=device or local_device())
    except (FileNotFoundError, ValueError) as e:
        raise BadInput(ckpt, None, f"cannot load the checkpoint ({e})") from None


def _sampling_kwargs(steps: int | None) -> dict[str, Any]:
    return {} if steps is None else {"num_steps": steps}


def _check_count(images: list, expected: int) -> list:
    if len(images) != expected:
        raise RuntimeError(f"model returned {len(images)} images for {expected} inputs")
    return images


def generate_images(
    model: Any, prompts: list[str], resolution: int | None, seed: int, steps: int | None = None
) -> list[Image.Image]:
    """One image per prompt, seeded per call; None keeps the model's default size / steps."""
    kwargs = _sampling_kwargs(steps)
    if resolution is not None:
        kwargs.update(height=resolution, width=resolution)
    return _check_count(model.generate_images(prompts, seed=seed, **kwargs), len(prompts))


def fit_pixels(image: Image.Image, max_pixels: int | None) -> Image.Image:
    """``image`` scaled down (Lanczos, aspect kept) to at most ``max_pixels``; never up."""
    if max_pixels is None or image.width * image.height <= max_pixels:
        return image
    scale = (max_pixels / (image.width * image.height)) ** 0.5
    size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def edit_image(
    model: Any, source: Image.Image, instruction: str, seed: int, steps: int | None = None
) -> Image.Image:
    """One instruction edit of ``source`` (the output has the source's size, unit-floored)."""
    kwargs = _sampling_kwargs(steps)
    [image] = _check_count(model.edit([source], [instruction], seed=seed, **kwargs), 1)
    return image


def save_image(image: Image.Image, path: Path) -> None:
    """Write to a temporary name, then rename: a killed run never leaves a half-written file
    that a resumed run would take for a finished one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        image.save(tmp, format=path.suffix.lstrip(".").upper().replace("JPG", "JPEG"))


def generate_missing(
    items: Sequence[T],
    done: Callable[[T], bool],
    make: Callable[[Any, T], None],
    ckpt: str | None,
    progress: bool = True,
) -> int:
    """Run ``make(model, item)`` for this rank's items that are not ``done``, then wait for
    every rank, so rank 0 merges and scores only complete outputs. Returns the items made here.

    The model is loaded only when there is something to make (a finished run needs no model).
    """
    todo = [item for item in shard(items) if not done(item)]
    if todo:
        model = load_model(ckpt)
        for item in tqdm(todo, desc="generate", disable=not progress):
            make(model, item)
    wait_for_all_ranks()
    return len(todo)
