"""Build :class:`Mammoth2Sample` objects from raw prompts and images (the model's token format).

These functions own the chat template, the visual-token answer layout and the DiT-condition
masks, so training (train/) and inference use exactly the same sequences:

* text-to-image: the reference chat ``system: You are a helpful image generator.`` +
  ``user: prompt``, then the image string ``<|image start|>{h}*{w}<|image token|>`` rows of
  (codes, EOL) ``<|endoffile|><|image end|>``; NTP targets on the answer; text condition = prompt
  text tokens; image condition = the answer's generation ids. ``with_visual_tokens=False`` is the
  paper's "without AR generation" ablation (text condition only).
* editing: the source image's MammothTok tokens go into the user turn (not a condition), the
  source image is also a DiT reference (VAE latents); the answer is the target's tokens.
* understanding: Qwen-VL vision pads in the user turn, NTP targets on the assistant's text.

Legend: L sample length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from models.batch import Mammoth2Sample
from models.config import IGNORE_INDEX
from models.noise import region_noise, similarity_noise
from models.text import SYSTEM_PROMPT_T2I, chat_ids

if TYPE_CHECKING:
    from models.mammoth2 import Mammoth2


def pil_to_tensor(image: Image.Image) -> torch.Tensor:
    """RGB PIL image -> (3, H, W) float in [-1, 1]."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def tensor_to_pil(image_CHW: torch.Tensor) -> Image.Image:
    array = ((image_CHW.float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0)
    return Image.fromarray(array.cpu().numpy())


def resize(image_CHW: torch.Tensor, size_hw: tuple[int, int]) -> torch.Tensor:
    if tuple(image_CHW.shape[1:]) == tuple(size_hw):
        return image_CHW
    return F.interpolate(image_CHW[None].float(), size=size_hw, mode="bilinear", antialias=True)[0]


def image_scaffold_ids(model: Mammoth2, grid_hw: tuple[int, int]) -> list[int]:
    """``<|image start|>{h}*{w}<|image token|>``: opens every image string (the AR prompt ends
    with it; the size is plain text)."""
    layout = model.layout
    size = model.text_tokenizer.encode(f"{grid_hw[0]}*{grid_hw[1]}")
    return [layout.special("image_start"), *size, layout.special("image_token")]


def image_string_ids(model: Mammoth2, scaffold: list[int], grid_ids: torch.Tensor) -> torch.Tensor:
    """Scaffold + the ``h * (w + 1)`` grid ids (codes and EOLs) + ``<|endoffile|><|image end|>``."""
    end = [model.layout.special("endoffile"), model.layout.special("image_end")]
    return torch.cat([torch.tensor(scaffold), grid_ids.reshape(-1).cpu(), torch.tensor(end)])


def image_string_length(model: Mammoth2, grid_hw: tuple[int, int]) -> int:
    h, w = grid_hw
    return len(image_scaffold_ids(model, grid_hw)) + h * (w + 1) + 2


def image_token_ids(
    model: Mammoth2, image_CHW: torch.Tensor, grid_hw: tuple[int, int]
) -> torch.Tensor:
    """The image string of an image resized to the AR grid and encoded by MammothTok."""
    patch = model.config.mammothtok.patch_size
    pixels = resize(image_CHW, (grid_hw[0] * patch, grid_hw[1] * patch)).to(model.device)
    codes = model.mammothtok.encode(pixels[None])[0]
    eol = torch.full((grid_hw[0], 1), model.layout.special("endofline"), device=codes.device)
    grid = torch.cat([model.layout.visual_ids(codes.long()), eol], 1)
    return image_string_ids(model, image_scaffold_ids(model, grid_hw), grid)


def t2i_prompt_ids(model: Mammoth2, prompt: str) -> list[int]:
    """The reference text-to-image chat (system prompt, user prompt, assistant header)."""
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT_T2I},
        {"role": "user", "content": prompt},
    ]
    return chat_ids(model.text_tokenizer, messages)


def _sample(
    model: Mammoth2,
    prompt: list[int],
    answer: list[int] | torch.Tensor,
    image_cond: bool,
    generator: torch.Generator | None = None,
    **extra,
) -> Mammoth2Sample:
    """Concatenate prompt and answer; every (clean) answer token is a target, the first one
    predicted from the prompt's last token; condition masks by position.

    With a ``generator`` the answer's visual tokens are corrupted in the *inputs* as configured
    in ``config.noise`` (similarity and region noise); the targets keep the clean tokens.
    """
    answer = torch.as_tensor(answer, dtype=torch.long)
    ids = torch.cat([torch.tensor(prompt, dtype=torch.long), answer])
    n_prompt = len(prompt)
    targets = torch.full_like(ids, IGNORE_INDEX)
    targets[n_prompt - 1 : len(ids) - 1] = ids[n_prompt:]
    if generator is not None and image_cond:
        ids[n_prompt:] = corrupt_answer(model, answer, generator)
    in_prompt = torch.arange(len(ids)) < n_prompt
    is_gen = ids >= model.layout.gen_start
    vision_ids = [
        model.backbone.qwen.config.image_token_id,
        model.backbone.qwen.config.video_token_id,
    ]
    text_cond = in_prompt & ~is_gen & ~torch.isin(ids, torch.tensor(vision_ids))
    image_mask = ~in_prompt & is_gen if image_cond else torch.zeros_like(in_prompt)
    return Mammoth2Sample(ids, targets, text_cond, image_mask, **extra)


def corrupt_answer(
    model: Mammoth2, answer: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Similarity + region noise on the visual tokens of an image string's grid."""
    cfg, layout = model.config.noise, model.layout
    h, w = model.config.generation.ar_grid
    start = len(image_scaffold_ids(model, (h, w)))
    grid = answer[start : start + h * (w + 1)].clone().view(h, w + 1)
    codes = layout.codes(grid[:, :w])
    if cfg.similarity_fraction > 0:
        neighbours = model.codebook_neighbours().to(codes.device)
        codes = similarity_noise(codes, neighbours, cfg.similarity_fraction, generator)
    if cfg.region_max_area > 0:
        codes = region_noise(codes[None], layout.codebook_size, cfg.region_max_area, generator)[0]
    grid[:, :w] = layout.visual_ids(codes)
    return torch.cat([answer[:start], grid.reshape(-1), answer[start + h * (w + 1) :]])


def t2i_sample(
    model: Mammoth2,
    prompt: str,
    image: torch.Tensor | None = None,
    with_visual_tokens: bool = True,
    answer_ids: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Mammoth2Sample:
    """Text-to-image sample; ``image`` (3, H, W) in [-1, 1] is the FM target (None at inference).

    ``answer_ids`` overrides the MammothTok tokens of ``image`` (inference passes AR output);
    ``generator`` turns on the configured visual-token noise (training only).
    """
    prompt_ids = t2i_prompt_ids(model, prompt)
    if not with_visual_tokens:
        return _sample(model, prompt_ids, [], False, image=image)
    if answer_ids is None:
        answer_ids = image_token_ids(model, image, model.config.generation.ar_grid)
    return _sample(model, prompt_ids, answer_ids, True, generator, image=image)


def edit_prompt_ids(model: Mammoth2, source: torch.Tensor, instruction: str) -> list[int]:
    source_ids = image_token_ids(model, source, model.config.generation.ar_grid).tolist()
    content = [{"type": "ids", "ids": source_ids}, {"type": "text", "text": instruction}]
    return chat_ids(model.text_tokenizer, [{"role": "user", "content": content}])


def edit_sample(
    model: Mammoth2,
    source: torch.Tensor,
    instruction: str,
    target: torch.Tensor | None = None,
    answer_ids: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Mammoth2Sample:
    """Edit sample: source tokens in the prompt, source as DiT reference, target as FM target."""
    prompt_ids = edit_prompt_ids(model, source, instruction)
    if answer_ids is None:
        answer_ids = image_token_ids(model, target, model.config.generation.ar_grid)
    return _sample(model, prompt_ids, answer_ids, True, generator, image=target, refs=[source])


def chat_sample(model: Mammoth2, messages: list[dict], answer: str | None = None) -> Mammoth2Sample:
    """Understanding sample; images appear as ``{"type": "image", "image": PIL}`` parts."""
    images = [
        p["image"]
        for m in messages
        if not isinstance(m["content"], str)
        for p in m["content"]
        if p["type"] == "image"
    ]
    vision = vision_inputs(model, images) if images else {}
    prompt_ids = chat_ids(model.text_tokenizer, messages, vision.pop("token_counts", None))
    tok = model.text_tokenizer
    answer_ids = [] if answer is None else [*tok.encode(answer), tok.special_id("<|im_end|>")]
    return _sample(model, prompt_ids, answer_ids, False, **vision)


def vision_inputs(model: Mammoth2, images: list[Image.Image]) -> dict:
    """Qwen-VL ViT inputs and the number of ``<|image_pad|>`` tokens per image."""
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    vcfg = model.backbone.qwen.config.vision_config
    unit = vcfg.patch_size * vcfg.spatial_merge_size
    processor = Qwen2VLImageProcessorPil(
        patch_size=vcfg.patch_size,
        merge_size=vcfg.spatial_merge_size,
        temporal_patch_size=vcfg.temporal_patch_size,
        image_mean=[0.5] * 3,
        image_std=[0.5] * 3,
        min_pixels=unit * unit,
        max_pixels=model.config.generation.image_max_pixels,
    )
    out = processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
    grid = out["image_grid_thw"]
    counts = (grid.prod(-1) // vcfg.spatial_merge_size**2).tolist()
    return {"pixel_values": out["pixel_values"], "image_grid_thw": grid, "token_counts": counts}
