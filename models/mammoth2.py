"""Mammoth2: Qwen3-VL backbone with generation experts -> alignment -> single-stream DiT.

Training forward (one call for a packed batch of any mix of tasks):

1. the backbone reads every sample (text, understanding images, MammothTok visual tokens);
2. next-token prediction: text targets through Qwen's ``lm_head``, generation targets (visual
   tokens, EOL, image end) through the gen head;
3. for samples with a target image: the mean of ``condition_layers`` gives condition states;
   text tokens -> RMSNorm+Linear, generated visual tokens -> Q-Former; the DiT predicts the
   flow-matching velocity of the (VAE-encoded) target at a logit-normal, resolution-shifted t.

Losses are returned as sums with their counts so that the trainer can divide by *global*
counts (all ranks, all micro-batches).

Inference: :meth:`generate_images`, :meth:`edit`, :meth:`chat` (implemented in
``models/inference.py``). Checkpoints: :meth:`save_pretrained` / :meth:`from_pretrained`.

Legend: T tokens of the batch grid, D backbone width, B samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from models import inference, samples
from models.alignment import Alignment, aggregate_layers
from models.backbone import Backbone
from models.batch import Mammoth2Batch, Mammoth2Sample, collate
from models.config import IGNORE_INDEX, Mammoth2Config
from models.dit import DiT
from models.flow import (
    PREDICTIONS,
    flow_matching_loss,
    interpolate,
    sample_train_times,
    velocity_from_data,
    velocity_target,
)
from models.noise import codebook_neighbours
from models.text import ByteTokenizer, HFTokenizer, TokenLayout, build_text_tokenizer
from models.tokenizer import MammothTok
from models.vae import ImageAutoencoder


@dataclass
class Mammoth2Output:
    """Loss sums and counts of one forward, plus the raw predictions."""

    ntp_loss_sum: torch.Tensor  # summed cross-entropy over all NTP targets (text + generation)
    ntp_tokens: int
    gen_logits: torch.Tensor  # (N_gen, gen_vocab) at positions whose target is a generation id
    fm_loss_sum: torch.Tensor  # sum over samples of the per-sample velocity MSE
    fm_samples: int
    velocity: list[torch.Tensor]  # predicted velocities of the FM samples
    t: torch.Tensor | None  # their flow times

    def loss(self) -> torch.Tensor:
        """NTP + FM at 1:1, each normalised by this batch's own counts (single-process use)."""
        ntp = self.ntp_loss_sum / max(self.ntp_tokens, 1)
        return ntp + self.fm_loss_sum / max(self.fm_samples, 1)


class Mammoth2(nn.Module):
    def __init__(self, config: Mammoth2Config | None = None, backbone: Backbone | None = None):
        super().__init__()
        cfg = config if config is not None else Mammoth2Config()
        self.config = cfg
        self.layout = TokenLayout.from_config(cfg)
        self.backbone = backbone if backbone is not None else Backbone(cfg.backbone)
        self.mammothtok = MammothTok(cfg.mammothtok)
        self.alignment = Alignment(cfg.alignment, self.backbone.hidden_size, cfg.dit.hidden)
        self.dit = DiT(cfg.dit)
        self.vae = ImageAutoencoder(cfg.vae)
        if self.vae.channels != cfg.dit.in_channels:
            raise ValueError(
                f"DiT in_channels {cfg.dit.in_channels} != VAE channels {self.vae.channels}"
            )
        self._text_tokenizer = None
        self._neighbours: tuple[int, torch.Tensor] | None = None

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_config(cls, config: Mammoth2Config) -> Mammoth2:
        """Build from a config; ``backbone.pretrained`` seeds the backbone from Qwen3-VL weights."""
        if config.backbone.pretrained:
            return cls(config, Backbone.from_qwen3vl(config.backbone.pretrained, config.backbone))
        return cls(config)

    @classmethod
    def from_preset(cls, name: str) -> Mammoth2:
        from models.presets import get_config

        return cls.from_config(get_config(name))

    def init_weights(self) -> None:
        """Initialise every parameter (after ``to_empty`` of a meta-device model)."""
        self.backbone.init_weights()
        self.mammothtok.init_weights()
        self.alignment.init_weights()
        self.dit.init_weights()
        self.vae.init_weights()

    @property
    def text_tokenizer(self) -> ByteTokenizer | HFTokenizer:
        """The text tokenizer (built on first use: the ``hf`` kind reads files)."""
        if self._text_tokenizer is None:
            self._text_tokenizer = build_text_tokenizer(self.config.text_tokenizer)
        return self._text_tokenizer

    def codebook_neighbours(self) -> torch.Tensor:
        """(K, k) nearest MammothTok codes of each code, cached until the codebook changes."""
        weight = self.mammothtok.quantizer.codebook.weight
        if self._neighbours is None or self._neighbours[0] != weight._version:
            table = codebook_neighbours(weight.detach(), self.config.noise.similarity_k)
            self._neighbours = (weight._version, table)
        return self._neighbours[1]

    @property
    def device(self) -> torch.device:
        return self.dit.x_embedder.weight.device

    # ----------------------------------------------------------------- checkpoints
    def save_pretrained(self, path: str | Path) -> Path:
        """Write ``config.json`` + safetensors weights (+ the text tokenizer if it has files)."""
        from models.checkpoint import save_pretrained

        return save_pretrained(self, Path(path))

    @classmethod
    def from_pretrained(
        cls, path: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype | None = None
    ) -> Mammoth2:
        """Load a folder written by :meth:`save_pretrained` (built on meta, then filled)."""
        from models.checkpoint import load_pretrained

        return load_pretrained(cls, Path(path), device=device, dtype=dtype)

    # ----------------------------------------------------------------- inference
    def generate_images(self, prompts: list[str], **kwargs) -> list[Image.Image]:
        """Text-to-image, one PIL image per prompt.

        Keyword arguments (defaults from ``config.generation``): ``height``, ``width``,
        ``num_steps``, ``text_guidance`` (DiT CFG), ``ar_guidance`` (logit CFG),
        ``cfg_range`` (guided share of the steps: step i of N when ``lo <= i / N < hi``),
        ``negative_prompt``, ``use_ar`` (False: no AR stage, text condition only), ``sampler``
        ("euler", "heun", "midpoint"), ``seed``, ``temperature``, ``top_k``, ``top_p``,
        ``callback``.
        """
        return inference.generate_images(self, prompts, **kwargs)

    def edit(self, images: list, instructions: list[str], **kwargs) -> list[Image.Image]:
        """Instruction editing of PIL images (or (3, H, W) tensors in [-1, 1]).

        Keyword arguments: ``num_steps``, ``text_guidance`` (default
        ``generation.edit_text_guidance``), ``image_guidance``, ``ar_guidance``, ``cfg_range``,
        ``negative_prompt``, ``sampler``, ``seed``.
        """
        return inference.edit(self, images, instructions, **kwargs)

    def chat(self, messages: list[dict], max_new_tokens: int = 128) -> str:
        """Understanding: greedy answer to ``[{"role", "content"}]`` messages (images as parts)."""
        return inference.chat(self, messages, max_new_tokens)

    # ----------------------------------------------------------------- samples
    def t2i_sample(
        self, prompt: str, image: torch.Tensor | None = None, **kwargs
    ) -> Mammoth2Sample:
        return samples.t2i_sample(self, prompt, image, **kwargs)

    def edit_sample(
        self, source: torch.Tensor, instruction: str, target: torch.Tensor | None = None
    ) -> Mammoth2Sample:
        return samples.edit_sample(self, source, instruction, target)

    def chat_sample(self, messages: list[dict], answer: str | None = None) -> Mammoth2Sample:
        return samples.chat_sample(self, messages, answer)

    # ----------------------------------------------------------------- training forward
    def collate(self, samples: list[Mammoth2Sample], padded: bool = False) -> Mammoth2Batch:
        """Pack (default) or pad samples into a batch for :meth:`forward`."""
        qwen_cfg = self.backbone.qwen.config
        return collate(
            samples,
            self._rope_index,
            image_token_id=qwen_cfg.image_token_id,
            pad_id=self.text_tokenizer.special_id("<|endoftext|>"),
            padded=padded,
        )

    def forward(
        self, batch: Mammoth2Batch, generator: torch.Generator | None = None
    ) -> Mammoth2Output:
        """NTP logits/loss over the batch and the FM velocity of its image samples."""
        out = self.backbone(
            batch.input_ids,
            attention_mask=batch.attention_mask,
            position_ids=batch.position_ids,
            output_hidden_states=True,
            packed=batch.packed,
            **batch.vision,
        )
        h_TD = out.last_hidden_state.reshape(-1, self.backbone.hidden_size)
        ntp_sum, ntp_tokens, gen_logits = self.ntp_losses(h_TD, batch.targets)
        layers = self.config.alignment.condition_layers
        cond_TD = aggregate_layers(out.hidden_states, layers).reshape(h_TD.shape)
        fm_sum, fm_samples, velocity, t = self.flow_matching(cond_TD, batch, generator)
        return Mammoth2Output(ntp_sum, ntp_tokens, gen_logits, fm_sum, fm_samples, velocity, t)

    def ntp_losses(self, h_TD: torch.Tensor, targets_T: torch.Tensor) -> tuple:
        """(loss sum, target count, gen logits). Both heads always run (FSDP: same collectives)."""
        start = self.layout.gen_start
        is_gen = targets_T >= start
        is_text = (targets_T != IGNORE_INDEX) & ~is_gen
        gen_logits = self.backbone.gen_logits(h_TD[is_gen])
        text_logits = self.backbone.text_logits(h_TD[is_text])
        loss = F.cross_entropy(gen_logits.float(), targets_T[is_gen] - start, reduction="sum")
        loss = loss + F.cross_entropy(text_logits.float(), targets_T[is_text], reduction="sum")
        return loss, int(is_gen.sum() + is_text.sum()), gen_logits

    def conditions(
        self, cond_TD: torch.Tensor, batch: Mammoth2Batch, which: list[int]
    ) -> list[torch.Tensor]:
        """DiT condition sequences ``[text ; Q-Former queries]`` of samples ``which``."""
        text, image = [], []
        for b in which:
            sample, index = batch.samples[b], batch.token_index[b]
            text.append(cond_TD[index[sample.text_cond.to(index.device)]])
            image_idx = index[sample.image_cond.to(index.device)]
            image.append(cond_TD[image_idx] if image_idx.numel() else None)
        return self.alignment(text, image)

    def flow_matching(
        self, cond_TD: torch.Tensor, batch: Mammoth2Batch, generator: torch.Generator | None = None
    ) -> tuple:
        which = [b for b, s in enumerate(batch.samples) if s.image is not None]
        if not which:
            return cond_TD.new_zeros(()), 0, [], None
        conds = self.conditions(cond_TD, batch, which)
        x1 = [self.encode_image(batch.samples[b].image, generator) for b in which]
        refs = [[self.encode_image(r, generator) for r in batch.samples[b].refs] for b in which]
        patch = self.config.dit.patch_size
        tokens = [x.shape[1] * x.shape[2] // patch**2 for x in x1]
        fcfg = self.config.flow
        t = sample_train_times(
            tokens, fcfg.logit_mean, fcfg.logit_std, fcfg.shift, generator, "cpu"
        )
        t = t.to(self.device)
        x0 = [torch.randn(x.shape, generator=generator).to(x) for x in x1]
        x_t = [interpolate(a, b, ti) for a, b, ti in zip(x0, x1, t, strict=True)]
        velocity = self.velocity(x_t, t, conds, refs)
        target = [velocity_target(a, b) for a, b in zip(x0, x1, strict=True)]
        fm_sum, count = flow_matching_loss(velocity, target)
        return fm_sum, count, velocity, t

    def velocity(
        self,
        x_t: list[torch.Tensor],
        t_B: torch.Tensor,
        conds: list[torch.Tensor],
        refs: list[list[torch.Tensor]] | None = None,
    ) -> list[torch.Tensor]:
        """The DiT's velocity at ``x_t``; a data-predicting DiT's x1 is turned into it."""
        out = self.dit(x_t, t_B, conds, refs)
        prediction = self.config.flow.prediction
        if prediction == "velocity":
            return out
        if prediction == "data":
            return [velocity_from_data(o, x, t) for o, x, t in zip(out, x_t, t_B, strict=True)]
        raise ValueError(f"unknown flow.prediction {prediction!r}; expected one of {PREDICTIONS}")

    @torch.no_grad()
    def encode_image(
        self, image_CHW: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Pixels in [-1, 1] -> DiT latent (C, h, w) (the VAE is frozen)."""
        pixels = image_CHW[None].to(self.device, self.dit.x_embedder.weight.dtype)
        return self.vae.encode(pixels, generator)[0]

    def _rope_index(
        self, ids_L: torch.Tensor, mm_types_L: torch.Tensor, grid: torch.Tensor | None
    ) -> torch.Tensor:
        """M-RoPE positions (3, L) of one sample (text: three equal rows)."""
        if grid is None:
            return torch.arange(ids_L.shape[0]).expand(3, -1)
        pos, _ = self.backbone.qwen.model.get_rope_index(ids_L[None], mm_types_L[None], grid)
        return pos[:, 0]
