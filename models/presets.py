"""Named model presets (the flavour registry) and the per-part parameter table.

* ``tiny``: CPU tests and the shapes-world demo; DiT on 64 x 64 pixels, byte tokenizer,
  a 0.3M-parameter Qwen3-VL; a training step on a few 64 px samples takes a fraction of a second.
  Its DiT predicts clean pixels (``flow.prediction = "data"``): an 8 x 8 x 3 patch has more values
  than the DiT is wide. Predicting the velocity, 300 demo steps gave only patch-sized speckles; with
  data prediction and 8 px patches the samples hold shapes (models/flow.py).
* ``tiny-vae``: ``tiny`` with a 50k-parameter diffusers AutoencoderKL (16 latent channels, 2x),
  exercising the latent path end to end.
* ``mammoth2``: paper sizes -- Qwen3-VL-8B backbone, FFN experts in layers 14-35 (~3.3B),
  a ~2B DiT (width 2520, 21/7 heads, head dim 120 = 40+40+40), Q-Former with 64 queries,
  AIMv2-Large MammothTok with a 16384 x 8 codebook and the 16-channel 8x FLUX-style VAE.
  Build it on the meta device unless you have the memory.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from torch import nn

from models.config import (
    AlignmentConfig,
    BackboneConfig,
    DiTConfig,
    FlowConfig,
    GenerationConfig,
    Mammoth2Config,
    MammothTokConfig,
    TextTokenizerConfig,
    VAEConfig,
)

QWEN3_VL_8B_HUB_ID = "Qwen/Qwen3-VL-8B-Instruct"
GEN_VOCAB_START = 152064  # the padded Qwen2.5 vocabulary size; the reference id layout
GEN_VOCAB_SIZE = 32800
FLUX_VAE_SCALE, FLUX_VAE_SHIFT = 0.3611, 0.1159


def tiny() -> Mammoth2Config:
    return Mammoth2Config(preset="tiny", flow=FlowConfig(prediction="data"))


def tiny_vae() -> Mammoth2Config:
    cfg = tiny()
    cfg.preset = "tiny-vae"
    cfg.vae = VAEConfig(
        kind="kl",
        diffusers={
            "in_channels": 3,
            "out_channels": 3,
            "down_block_types": ["DownEncoderBlock2D"] * 2,
            "up_block_types": ["UpDecoderBlock2D"] * 2,
            "block_out_channels": [8, 16],
            "layers_per_block": 1,
            "latent_channels": 16,
            "norm_num_groups": 4,
        },
        scaling_factor=FLUX_VAE_SCALE,
        shift_factor=FLUX_VAE_SHIFT,
    )
    cfg.dit = DiTConfig(in_channels=16, patch_size=2)
    return cfg


def qwen3_vl_8b() -> dict:
    """Qwen3-VL-8B-Instruct's architecture as ``Qwen3VLConfig`` kwargs."""
    return {
        "text_config": {
            "hidden_size": 4096,
            "num_hidden_layers": 36,
            "num_attention_heads": 32,
            "num_key_value_heads": 8,
            "head_dim": 128,
            "intermediate_size": 12288,
            "vocab_size": 151936,
            "max_position_embeddings": 262144,
            "rms_norm_eps": 1e-6,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 5e6,
                "mrope_section": [24, 20, 20],
                "mrope_interleaved": True,
            },
            "tie_word_embeddings": False,
        },
        "vision_config": {
            "depth": 27,
            "hidden_size": 1152,
            "intermediate_size": 4304,
            "num_heads": 16,
            "out_hidden_size": 4096,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "num_position_embeddings": 2304,
            "deepstack_visual_indexes": [8, 16, 24],
        },
        "image_token_id": 151655,
        "video_token_id": 151656,
        "vision_start_token_id": 151652,
        "vision_end_token_id": 151653,
        "tie_word_embeddings": False,
    }


def mammoth2() -> Mammoth2Config:
    return Mammoth2Config(
        preset="mammoth2",
        text_tokenizer=TextTokenizerConfig(kind="hf", path=QWEN3_VL_8B_HUB_ID),
        backbone=BackboneConfig(
            qwen3vl=qwen3_vl_8b(),
            gen_vocab_start=GEN_VOCAB_START,
            gen_vocab_size=GEN_VOCAB_SIZE,
            expert_layers=(14, 36),
            expert_init="random",
            pretrained=QWEN3_VL_8B_HUB_ID,
        ),
        mammothtok=MammothTokConfig(
            encoder="aimv2",
            patch_size=14,
            aimv2={
                "hidden_size": 1024,
                "intermediate_size": 2816,
                "num_hidden_layers": 24,
                "num_attention_heads": 8,
                "rms_norm_eps": 1e-5,
            },
            codebook_size=16384,
            code_dim=8,
            decoder_width=1024,
            decoder_depth=12,
            decoder_heads=16,
        ),
        alignment=AlignmentConfig(
            condition_layers=(-2, -5, -8, -11, -14, -17), num_queries=64, qformer_heads=21
        ),
        dit=DiTConfig(
            in_channels=16,
            patch_size=2,
            hidden=2520,
            layers=12,
            refiner_layers=2,
            heads=21,
            kv_heads=7,
            axes_dim=(40, 40, 40),
        ),
        vae=VAEConfig(
            kind="kl",
            diffusers={
                "in_channels": 3,
                "out_channels": 3,
                "down_block_types": ["DownEncoderBlock2D"] * 4,
                "up_block_types": ["UpDecoderBlock2D"] * 4,
                "block_out_channels": [128, 256, 512, 512],
                "layers_per_block": 2,
                "latent_channels": 16,
                "norm_num_groups": 32,
                "use_quant_conv": False,
                "use_post_quant_conv": False,
            },
            scaling_factor=FLUX_VAE_SCALE,
            shift_factor=FLUX_VAE_SHIFT,
        ),
        generation=GenerationConfig(
            ar_grid=(32, 32), image_size=(1024, 1024), image_max_pixels=1280 * 28 * 28
        ),
    )


PRESETS: dict[str, Callable[[], Mammoth2Config]] = {
    "tiny": tiny,
    "tiny-vae": tiny_vae,
    "mammoth2": mammoth2,
}


def get_config(name: str) -> Mammoth2Config:
    """A fresh config of the named preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}")
    return copy.deepcopy(PRESETS[name]())


PART_OF_PREFIX = (
    (".mlp.gen.", "generation experts"),
    ("embed_tokens.gen.", "gen embedding + gen head"),
    ("backbone.gen_head.", "gen embedding + gen head"),
    ("backbone.qwen.model.visual.", "backbone: Qwen3-VL vision"),
    ("backbone.", "backbone: Qwen3-VL language model"),
    ("mammothtok.", "MammothTok"),
    ("alignment.", "alignment (text proj + Q-Former)"),
    ("dit.", "DiT"),
    ("vae.", "VAE"),
)


def parameter_table(model: nn.Module) -> dict[str, int]:
    """Parameter count per part, in the order of ``PART_OF_PREFIX`` (works on meta models)."""
    table = dict.fromkeys(dict.fromkeys(part for _, part in PART_OF_PREFIX), 0)
    for name, param in model.named_parameters():
        part = next(p for key, p in PART_OF_PREFIX if key in name or name.startswith(key))
        table[part] += param.numel()
    return table


def format_table(table: dict[str, int]) -> str:
    rows = [f"{'part':<36} {'parameters':>16} {'billions':>9}"]
    rows += [f"{part:<36} {count:>16,} {count / 1e9:>9.3f}" for part, count in table.items()]
    total = sum(table.values())
    rows.append(f"{'total':<36} {total:>16,} {total / 1e9:>9.3f}")
    return "\n".join(rows)
