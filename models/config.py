"""Typed configuration tree of the Mammoth2 model; defaults are the CPU-sized ``tiny`` preset.

The same tree is written as ``config.json`` into every checkpoint (``save_pretrained``) and read
back by ``from_pretrained``; architecture fields always come from the checkpoint.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any

IGNORE_INDEX = -100  # target value of positions without a next-token loss


def _tiny_qwen3vl() -> dict[str, Any]:
    """kwargs of ``transformers.Qwen3VLConfig`` for a 0.3M-parameter backbone."""
    return {
        "text_config": {
            "hidden_size": 64,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "intermediate_size": 128,
            "vocab_size": 320,
            "max_position_embeddings": 4096,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 5e6,
                "mrope_section": [4, 2, 2],
                "mrope_interleaved": True,
            },
            "tie_word_embeddings": False,
        },
        "vision_config": {
            "depth": 1,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": 64,
            "patch_size": 16,
            "num_position_embeddings": 64,
            "deepstack_visual_indexes": [0],
        },
        # must match the byte tokenizer's specials (models/text.py): 256 + index
        "image_token_id": 261,
        "video_token_id": 262,
        "vision_start_token_id": 259,
        "vision_end_token_id": 260,
        "tie_word_embeddings": False,
    }


@dataclass
class BackboneConfig:
    """Qwen3-VL plus generation experts, gen embedding table and gen head.

    Token ids ``>= gen_vocab_start`` are generation ids: embedded by the gen table, routed to the
    gen FFN experts in layers ``[expert_layers[0], expert_layers[1])``, predicted by the gen head.
    """

    qwen3vl: dict[str, Any] = field(default_factory=_tiny_qwen3vl)
    gen_vocab_start: int = 320
    gen_vocab_size: int = 520
    expert_layers: tuple[int, int] = (2, 4)
    expert_init: str = "copy"  # "copy" (from the understanding FFN) or "random"
    pretrained: str | None = None  # Qwen3-VL folder/hub id whose weights seed the backbone


@dataclass
class TextTokenizerConfig:
    """``bytes``: the built-in byte tokenizer (tiny preset); ``hf``: AutoTokenizer at ``path``."""

    kind: str = "bytes"
    path: str | None = None


@dataclass
class MammothTokConfig:
    """MammothTok: ViT encoder, L2-normalised VQ, ViT pixel decoder."""

    encoder: str = "vit"  # "vit" (built-in) or "aimv2" (transformers Aimv2VisionModel)
    patch_size: int = 8
    width: int = 64
    depth: int = 2
    heads: int = 4
    aimv2: dict[str, Any] = field(default_factory=dict)  # Aimv2VisionConfig kwargs
    codebook_size: int = 512
    code_dim: int = 8
    commit_beta: float = 0.25
    rotation_trick: bool = True
    decoder_width: int = 64
    decoder_depth: int = 2
    decoder_heads: int = 4


@dataclass
class DiTConfig:
    """Single-stream Lumina/OmniGen2 DiT."""

    in_channels: int = 3
    patch_size: int = 8
    hidden: int = 64
    layers: int = 2
    refiner_layers: int = 1
    heads: int = 4
    kv_heads: int = 2
    axes_dim: tuple[int, int, int] = (4, 6, 6)
    rope_theta: float = 10000.0
    max_ref_images: int = 5
    # t in [0, 1] is multiplied by this before the sinusoidal features (periods up to 10,000):
    # OmniGen2's released value. At 1.0 (the reference code's default) nearly every feature is
    # constant over [0, 1] and the tiny DiT hardly tells noise levels apart (shapes-world objects
    # were detected in 6 of 24 samples after 300 steps, against 13 of 24 at 1000).
    timestep_scale: float = 1000.0
    norm_eps: float = 1e-5


@dataclass
class AlignmentConfig:
    """Backbone -> DiT condition: layer mean, text projector, Q-Former over visual tokens."""

    condition_layers: tuple[int, ...] = (-2, -3, -4)
    num_queries: int = 8
    qformer_layers: int = 2
    qformer_heads: int = 4


@dataclass
class VAEConfig:
    """``pixels``: the DiT works on pixels in [-1, 1]; ``kl``: diffusers AutoencoderKL latents."""

    kind: str = "pixels"
    diffusers: dict[str, Any] = field(default_factory=dict)  # AutoencoderKL kwargs
    scaling_factor: float = 1.0
    shift_factor: float = 0.0


@dataclass
class FlowConfig:
    """Training-time flow matching: logit-normal t with a per-sample resolution shift."""

    logit_mean: float = 0.0
    logit_std: float = 1.0
    shift: str = (
        "v1"  # "v1": FLUX mu on 1-t, mu linear in tokens; "v2": m = sqrt(tokens)/20; "none"
    )
    prediction: str = "velocity"  # what the DiT outputs: "velocity" (reference) or "data" (x1)


@dataclass
class NoiseConfig:
    """Training-time corruption of *input* visual tokens (targets stay clean); 0 disables."""

    similarity_fraction: float = 0.0  # share of tokens replaced by a near codebook neighbour
    similarity_k: int = 8  # neighbours to choose from
    region_max_area: float = 0.0  # largest share of the grid covered by the random rectangle


@dataclass
class GenerationConfig:
    """Inference defaults (README values of the reference model where they exist)."""

    ar_grid: tuple[int, int] = (8, 8)
    image_size: tuple[int, int] = (64, 64)
    ar_guidance: float = 7.0
    text_guidance: float = 9.0
    image_guidance: float = 2.0
    edit_text_guidance: float = 5.0  # text scale of the 3-pass edit CFG (reference default)
    num_steps: int = 50
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    image_max_pixels: int = 64 * 64  # understanding (ViT) inputs are resized below this


@dataclass
class Mammoth2Config:
    """The whole model; ``preset`` names the registry entry it came from."""

    preset: str = "tiny"
    text_tokenizer: TextTokenizerConfig = field(default_factory=TextTokenizerConfig)
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    mammothtok: MammothTokConfig = field(default_factory=MammothTokConfig)
    alignment: AlignmentConfig = field(default_factory=AlignmentConfig)
    dit: DiTConfig = field(default_factory=DiTConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mammoth2Config:
        return _build(cls, data)


def _build(kind: type, data: Any) -> Any:
    """Rebuild a (nested) dataclass from ``asdict`` output; JSON lists become tuples if typed so."""
    hints = typing.get_type_hints(kind)
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{kind.__name__}: unknown config fields {sorted(unknown)}")
    values = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            value = _build(hint, value)
        elif _is_tuple(hint) and value is not None:
            value = tuple(value)
        values[name] = value
    return kind(**values)


def _is_tuple(hint: Any) -> bool:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_is_tuple(arg) for arg in typing.get_args(hint))
    return hint is tuple or typing.get_origin(hint) is tuple
