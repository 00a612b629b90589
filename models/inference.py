"""Inference entry points behind ``Mammoth2.generate_images`` / ``edit`` / ``chat``.

Text-to-image: AR visual tokens (logit CFG) -> backbone re-read of prompt + tokens -> condition
``[text ; Q-Former]`` -> DiT sampling with text CFG against the negative prompt (text condition
only, as in the reference) -> VAE decode. ``use_ar=False`` skips the AR stage (the paper's
"without AR generation" ablation: text condition only).

Editing: the source image enters the prompt as MammothTok tokens and the DiT as a reference;
3-pass CFG ``u + s_i (r - u) + s_t (c - r)`` (cond: instruction + ref; r: negative + ref;
u: negative without ref). The output has the source's size (floored to the DiT's pixel unit).

Legend: B images, C latent channels, h x w latent grid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from PIL import Image

from models.alignment import aggregate_layers
from models.attention import Packed
from models.flow import inference_times
from models.generate import generate_text, generate_visual_tokens
from models.samples import (
    chat_sample,
    edit_prompt_ids,
    edit_sample,
    image_scaffold_ids,
    image_string_ids,
    pil_to_tensor,
    resize,
    t2i_prompt_ids,
    t2i_sample,
    tensor_to_pil,
)
from models.sampling import Denoiser, EditCFG, TextCFG, get_sampler, step_window

if TYPE_CHECKING:
    from models.mammoth2 import Mammoth2


@torch.no_grad()
def condition_sequences(model: Mammoth2, samples: list) -> list[torch.Tensor]:
    """DiT conditions of samples, from one packed backbone pass."""
    batch = model.collate(samples)
    vision = {k: v.to(model.device) for k, v in batch.vision.items()}
    out = model.backbone(
        batch.input_ids.to(model.device),
        position_ids=batch.position_ids.to(model.device),
        output_hidden_states=True,
        packed=Packed(batch.packed.cu_seqlens.to(model.device), batch.packed.max_len),
        **vision,
    )
    cond = aggregate_layers(out.hidden_states, model.config.alignment.condition_layers)
    cond_TD = cond.reshape(-1, model.backbone.hidden_size)
    batch.token_index = [i.to(model.device) for i in batch.token_index]
    return model.conditions(cond_TD, batch, list(range(len(samples))))


def dit_denoiser(
    model: Mammoth2, conds: list[torch.Tensor], refs: list[list[torch.Tensor]] | None = None
) -> Denoiser:
    """``(x (B, C, h, w), t) -> v`` for fixed conditions (and reference latents)."""

    def denoise(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t_B = t.to(x).expand(x.shape[0])
        return torch.stack(model.velocity(list(x), t_B, conds, refs))

    return denoise


def _ar_answers(
    model: Mammoth2, prompts: list[list[int]], negatives: list[list[int]], opts: dict, generator
) -> list[torch.Tensor]:
    """Image strings drawn by the backbone after each prompt + the image scaffold."""
    scaffold = image_scaffold_ids(model, model.config.generation.ar_grid)
    grids = generate_visual_tokens(
        model,
        [p + scaffold for p in prompts],
        [n + scaffold for n in negatives],
        opts["ar_guidance"],
        opts["temperature"],
        opts["top_k"],
        opts["top_p"],
        generator,
    )
    return [image_string_ids(model, scaffold, g) for g in grids]


def _options(model: Mammoth2, overrides: dict) -> dict:
    g = model.config.generation
    defaults = {
        "num_steps": g.num_steps,
        "text_guidance": g.text_guidance,
        "image_guidance": g.image_guidance,
        "ar_guidance": g.ar_guidance,
        "temperature": g.temperature,
        "top_k": g.top_k,
        "top_p": g.top_p,
    }
    return defaults | {k: v for k, v in overrides.items() if v is not None}


def _sample_latents(
    model: Mammoth2, denoiser, shape: tuple, ts: torch.Tensor, sampler: str, generator, callback
) -> torch.Tensor:
    x = torch.randn(shape, generator=generator).to(model.device)
    return get_sampler(sampler)(denoiser, x, ts.to(model.device), callback)


def _to_pil(model: Mammoth2, latents: torch.Tensor) -> list[Image.Image]:
    return [tensor_to_pil(img) for img in model.vae.decode(latents).float().cpu()]


@torch.no_grad()
def generate_images(
    model: Mammoth2,
    prompts: list[str],
    *,
    height: int | None = None,
    width: int | None = None,
    num_steps: int | None = None,
    text_guidance: float | None = None,
    ar_guidance: float | None = None,
    cfg_range: tuple[float, float] = (0.0, 1.0),
    negative_prompt: str = "",
    use_ar: bool = True,
    sampler: str = "euler",
    seed: int = 0,
    temperature: float | None = None,
    top_k: int | None = None,
    top_p: float | None = None,
    callback=None,
) -> list[Image.Image]:
    """One image per prompt; sizes must be multiples of the DiT pixel unit (see ``pixel_unit``)."""
    opts = _options(
        model,
        dict(
            num_steps=num_steps,
            text_guidance=text_guidance,
            ar_guidance=ar_guidance,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
        ),
    )
    generator = torch.Generator().manual_seed(seed)
    height, width = _check_size(model, height, width)
    answers = [None] * len(prompts)
    if use_ar:
        prompt_ids = [t2i_prompt_ids(model, p) for p in prompts]
        negative_ids = [t2i_prompt_ids(model, negative_prompt)] * len(prompts)
        answers = _ar_answers(model, prompt_ids, negative_ids, opts, generator)
    samples = [t2i_sample(model, p, None, use_ar, a) for p, a in zip(prompts, answers, strict=True)]
    samples.append(t2i_sample(model, negative_prompt, None, with_visual_tokens=False))
    conds = condition_sequences(model, samples)
    cond = dit_denoiser(model, conds[:-1])
    uncond = dit_denoiser(model, conds[-1:] * len(prompts))
    down = model.vae.downsample
    shape = (len(prompts), model.vae.channels, height // down, width // down)
    ts = inference_times(opts["num_steps"], shape[-2:])
    guided = TextCFG(cond, uncond, opts["text_guidance"], step_window(ts, cfg_range))
    return _to_pil(model, _sample_latents(model, guided, shape, ts, sampler, generator, callback))


def pixel_unit(model: Mammoth2) -> int:
    """Image sides must be multiples of this (VAE downsampling x DiT patch)."""
    return model.vae.downsample * model.config.dit.patch_size


def _check_size(model: Mammoth2, height: int | None, width: int | None) -> tuple[int, int]:
    default_h, default_w = model.config.generation.image_size
    height, width = height or default_h, width or default_w
    unit = pixel_unit(model)
    if height % unit or width % unit:
        raise ValueError(f"height/width {height}x{width} must be multiples of {unit}")
    return height, width


@torch.no_grad()
def edit(
    model: Mammoth2,
    images: list[Image.Image | torch.Tensor],
    instructions: list[str],
    *,
    num_steps: int | None = None,
    text_guidance: float | None = None,
    image_guidance: float | None = None,
    ar_guidance: float | None = None,
    cfg_range: tuple[float, float] = (0.0, 1.0),
    negative_prompt: str = "",
    sampler: str = "euler",
    seed: int = 0,
) -> list[Image.Image]:
    """Edit each image by its instruction; returns images of the (unit-floored) source size."""
    opts = _options(
        model,
        dict(
            num_steps=num_steps,
            text_guidance=text_guidance,
            image_guidance=image_guidance,
            ar_guidance=ar_guidance,
        ),
    )
    generator = torch.Generator().manual_seed(seed)
    return [
        _edit_one(model, img, text, opts, cfg_range, negative_prompt, sampler, generator)
        for img, text in zip(images, instructions, strict=True)
    ]


def _edit_one(
    model: Mammoth2, image, instruction, opts, cfg_range, negative_prompt, sampler, generator
) -> Image.Image:
    source = pil_to_tensor(image) if isinstance(image, Image.Image) else image.float()
    unit = pixel_unit(model)
    size = (max(unit, source.shape[1] // unit * unit), max(unit, source.shape[2] // unit * unit))
    source = resize(source, size)
    prompt = edit_prompt_ids(model, source, instruction)
    negative = edit_prompt_ids(model, source, negative_prompt)
    answer = _ar_answers(model, [prompt], [negative], opts, generator)[0]
    samples = [
        edit_sample(model, source, instruction, answer_ids=answer),
        t2i_sample(model, negative_prompt, None, with_visual_tokens=False),
    ]
    conds = condition_sequences(model, samples)
    ref = [[model.encode_image(source.to(model.device), generator)]]
    down = model.vae.downsample
    shape = (1, model.vae.channels, size[0] // down, size[1] // down)
    ts = inference_times(opts["num_steps"], shape[-2:])
    guided = EditCFG(
        cond=dit_denoiser(model, conds[:1], ref),
        ref=dit_denoiser(model, conds[1:], ref),
        uncond=dit_denoiser(model, conds[1:]),
        text_scale=opts["text_guidance"],
        image_scale=opts["image_guidance"],
        t_range=step_window(ts, cfg_range),
    )
    return _to_pil(model, _sample_latents(model, guided, shape, ts, sampler, generator, None))[0]


@torch.no_grad()
def chat(model: Mammoth2, messages: list[dict], max_new_tokens: int = 128) -> str:
    """Greedy answer to a conversation; images as ``{"type": "image", "image": PIL}`` parts."""
    sample = chat_sample(model, messages)
    return model.text_tokenizer.decode(generate_text(model, sample, max_new_tokens))
