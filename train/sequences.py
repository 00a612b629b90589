"""Corpus samples -> model samples: decode, resize to the stage resolution, tokenise.

Sequence layout is owned by the model (``models/samples.py``: chat template, visual-token
answer, condition masks); this module only prepares its inputs from a ``corpus.schema.Sample``:

* t2i: prompt + target image; it2i: instruction + source image (reference, and MammothTok tokens
  in the prompt) + target image resized to the source's size; it2t: the conversation, the image
  placed where ``<image>`` marks it, the last assistant turn as the NTP target.
* Similarity noise (joint stages): a fraction of the visual-token *inputs* of the answer is
  replaced by near codebook neighbours; targets stay clean. Its randomness comes from a generator
  seeded per sample, so a resumed run draws the same noise.
* Caption dropout (CFG training, joint stages): a fraction of t2i samples gets the empty prompt and
  no DiT image condition; the visual tokens stay as NTP targets. This is exactly the
  unconditional branch inference guides against (the AR negative prompt and the DiT's empty-text
  condition; causal attention keeps the prompt's states blind to the answer), so classifier-free
  guidance extrapolates from a branch the model was trained on. Decided per sample from its seed
  by ``train.costs.drops_caption``, the function the planner costs the sample with.
"""

from __future__ import annotations

import io
from typing import Any

import PIL.Image
import PIL.ImageOps
import torch

from corpus.schema import Image as CorpusImage
from corpus.schema import Sample
from models.batch import Mammoth2Sample
from models.noise import codebook_neighbours, similarity_noise
from models.samples import pil_to_tensor
from train.costs import EMPTY_PROMPT, IMAGE_PLACEHOLDER, drops_caption, fit_size


class SampleError(ValueError):
    """A sample cannot be turned into a training sequence (the loader adds shard and key)."""


def decode(image: CorpusImage) -> PIL.Image.Image:
    """RGB pixels as displayed (EXIF orientation applied)."""
    with PIL.Image.open(io.BytesIO(image.data)) as img:
        return PIL.ImageOps.exif_transpose(img).convert("RGB")


def fit(image: PIL.Image.Image, resolution: int, unit: int) -> PIL.Image.Image:
    """Downscale so the longest side is at most ``resolution``; sides multiples of ``unit``."""
    size = fit_size(image.width, image.height, resolution, unit)
    if size == image.size:
        return image
    return image.resize(size, PIL.Image.Resampling.BICUBIC)


class SequenceBuilder:
    """Builds :class:`Mammoth2Sample` objects with the model's own (frozen) tokenizers."""

    def __init__(
        self,
        model: Any,
        resolution: int,
        noise_fraction: float,
        neighbours: int,
        caption_dropout: float = 0.0,
    ):
        self.model = model
        self.caption_dropout = caption_dropout
        self.resolution = resolution
        self.unit = model.config.dit.patch_size * model.vae.downsample
        self.noise_fraction = noise_fraction
        self.neighbours = None
        if noise_fraction > 0:
            codebook = model.mammothtok.quantizer.codebook.weight.detach()
            self.neighbours = codebook_neighbours(codebook, neighbours).cpu()

    @torch.no_grad()
    def build(self, sample: Sample, seed: int) -> Mammoth2Sample:
        dropped = drops_caption(sample.task, seed, self.caption_dropout)
        try:
            built = self._build(sample, dropped)
        except (KeyError, ValueError, OSError) as e:
            raise SampleError(str(e)) from e
        if self.neighbours is not None and built.image_cond.any():
            self._noise(built, torch.Generator().manual_seed(seed))
        return built

    def _build(self, sample: Sample, drop_caption: bool = False) -> Mammoth2Sample:
        if sample.task == "t2i":
            target = fit(decode(sample.image("target")), self.resolution, self.unit)
            if drop_caption:
                return unconditional(self.model.t2i_sample(EMPTY_PROMPT, pil_to_tensor(target)))
            return self.model.t2i_sample(sample.prompt, pil_to_tensor(target))
        if sample.task == "it2i":
            source = fit(decode(sample.image("source")), self.resolution, self.unit)
            target = decode(sample.image("target")).resize(source.size, PIL.Image.BICUBIC)
            return self.model.edit_sample(
                pil_to_tensor(source), sample.instruction, pil_to_tensor(target)
            )
        if sample.task == "it2t":
            images = [decode(img) for img in sample.images if img.role == "input"]
            messages = chat_messages(sample.messages or [], images)
            if not messages or messages[-1]["role"] != "assistant":
                raise ValueError("conversation does not end with an assistant turn")
            return self.model.chat_sample(messages[:-1], messages[-1]["content"])
        raise ValueError(f"task {sample.task!r} has no training sequence")

    def _noise(self, built: Mammoth2Sample, generator: torch.Generator) -> None:
        layout = self.model.layout
        ids = built.input_ids
        visual = (ids >= layout.visual_start) & (ids < layout.visual_start + layout.codebook_size)
        where = built.image_cond & visual
        codes = layout.codes(ids[where])
        noisy = similarity_noise(codes, self.neighbours, self.noise_fraction, generator)
        built.input_ids = ids.masked_scatter(where, layout.visual_ids(noisy))


def unconditional(built: Mammoth2Sample) -> Mammoth2Sample:
    """The sample without its DiT image condition (its visual tokens stay NTP targets)."""
    built.image_cond = torch.zeros_like(built.image_cond)
    return built


def chat_messages(messages: list[dict], images: list[PIL.Image.Image]) -> list[dict]:
    """LLaVA-style turns -> model chat parts: each ``<image>`` marker becomes an image part."""
    remaining = iter(images)
    out = []
    for message in messages:
        text = message["content"]
        if IMAGE_PLACEHOLDER not in text:
            out.append({"role": message["role"], "content": text})
            continue
        parts: list[dict] = []
        pieces = text.split(IMAGE_PLACEHOLDER)
        for i, piece in enumerate(pieces):
            if i > 0:
                parts.append({"type": "image", "image": next(remaining)})
            piece = piece.strip("\n")
            if piece:
                parts.append({"type": "text", "text": piece})
        out.append({"role": message["role"], "content": parts})
    return out


class TokenizerImageBuilder:
    """tok stage: one square image per sample (target, else the first), centre-cropped."""

    def __init__(self, resolution: int, patch: int) -> None:
        self.size = max(patch, resolution // patch * patch)

    def build(self, sample: Sample, seed: int) -> torch.Tensor:
        roles = [img.role for img in sample.images]
        if not roles:
            raise SampleError("no image for the tokenizer")
        image = decode(sample.image("target" if "target" in roles else roles[0]))
        square = PIL.ImageOps.fit(image, (self.size, self.size), PIL.Image.Resampling.BICUBIC)
        return pil_to_tensor(square)
