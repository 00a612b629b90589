"""What differs between stage families, behind one small interface (torchtitan's TrainSpec).

* :class:`JointObjective` (pre1, pre2, sft): the whole Mammoth2 on packed sequences; NTP and FM
  at 1:1, each divided by its *global* count (NTP target tokens and FM samples over all ranks and
  micro-batches of the step), so the summed gradient does not depend on how packs are split
  across ranks and micro-batches (training_reference.md 9.8).
* :class:`TokenizerObjective` (tok): MammothTok alone on fixed-size image batches
  (reconstruction + VQ codebook/commitment), losses weighted by the global image count.

Each builds the module to train (on any device, meta included), the rank-0 reference weights,
the data loader, the global counts of a step and the loss of one micro-batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from models.batch import to_device
from models.config import IGNORE_INDEX, Mammoth2Config
from models.mammoth2 import Mammoth2
from models.tokenizer import MammothTok
from train.config import TrainConfig
from train.data import build_joint_data, build_tokenizer_data
from train.loader import Loader, MicroBatch
from train.manifest import ManifestError


def reference_model(model_cfg: Mammoth2Config, cfg: TrainConfig) -> Mammoth2:
    """The starting weights: ``model.init`` if given, else a fresh model seeded by ``seed``."""
    if cfg.model.init:
        init = Path(cfg.model.init)
        if not init.exists():
            raise ManifestError(f"{init}: model.init checkpoint folder does not exist")
        return Mammoth2.from_pretrained(init).train()
    torch.manual_seed(cfg.seed)
    return Mammoth2(model_cfg)


def pack_generator(seed: int, step: int, pack: int) -> torch.Generator:
    """FM noise and times of one pack: a function of the pack, not of the rank that trains it."""
    return torch.Generator().manual_seed(seed * 1_000_003 + step * 1009 + pack)


class JointObjective:
    count_names = ("ntp_tokens", "fm_samples")

    def build(self, model_cfg: Mammoth2Config) -> nn.Module:
        return Mammoth2(model_cfg)

    def reference(self, model_cfg: Mammoth2Config, cfg: TrainConfig) -> nn.Module:
        return reference_model(model_cfg, cfg)

    def reset_buffers(self, module: nn.Module) -> None:
        module.backbone.reset_buffers()

    def data(self, cfg: TrainConfig, module: nn.Module, rank: int, world: int) -> Loader:
        return build_joint_data(cfg, module, rank, world)

    def counts(self, micro: list[MicroBatch]) -> list[float]:
        ntp = sum(int((s.targets != IGNORE_INDEX).sum()) for m in micro for s in m.samples)
        fm = sum(s.image is not None for m in micro for s in m.samples)
        return [float(ntp), float(fm)]

    def loss(
        self, module: nn.Module, micro: MicroBatch, totals: list[float], cfg: TrainConfig, step: int
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        tokens = sum(len(s) for s in micro.samples)
        if tokens > cfg.data.max_pack_tokens:  # only estimated (it2t) costs can overshoot
            raise ValueError(
                f"step {step} pack {micro.index}: {tokens} tokens > data.max_pack_tokens "
                f"{cfg.data.max_pack_tokens} (planned {micro.planned_tokens}); raise the cap"
            )
        batch = to_device(module.collate(micro.samples), module.device)
        out = module(batch, pack_generator(cfg.seed, step, micro.index))
        ntp = out.ntp_loss_sum / max(totals[0], 1.0)
        fm = out.fm_loss_sum / max(totals[1], 1.0)
        loss = cfg.loss.ntp_weight * ntp + cfg.loss.fm_weight * fm
        return loss, {"ntp": ntp.detach(), "fm": fm.detach(), "tokens": batch.num_tokens}

    def export(self, state: dict[str, torch.Tensor], model_cfg: Mammoth2Config, cfg, out: Path):
        model = Mammoth2(model_cfg)
        model.load_state_dict(state)
        return model.save_pretrained(out)


class TokenizerObjective:
    count_names = ("images",)

    def build(self, model_cfg: Mammoth2Config) -> nn.Module:
        return MammothTok(model_cfg.mammothtok)

    def reference(self, model_cfg: Mammoth2Config, cfg: TrainConfig) -> nn.Module:
        return reference_model(model_cfg, cfg).mammothtok

    def reset_buffers(self, module: nn.Module) -> None:
        """MammothTok keeps no buffers outside its state dict."""

    def data(self, cfg: TrainConfig, module: nn.Module, rank: int, world: int) -> Loader:
        return build_tokenizer_data(cfg, module.cfg.patch_size, rank, world)

    def counts(self, micro: list[MicroBatch]) -> list[float]:
        return [float(sum(len(m.samples) for m in micro))]

    def loss(
        self, module: nn.Module, micro: MicroBatch, totals: list[float], cfg: TrainConfig, step: int
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        device = next(module.parameters()).device
        images = torch.stack(micro.samples).to(device)
        terms = module.losses(images)
        share = len(micro.samples) / totals[0]
        metrics = {k: terms[k].detach() * share for k in ("recon", "vq", "usage")}
        return terms["total"] * share, metrics | {"tokens": images.shape[0]}

    def export(self, state: dict[str, torch.Tensor], model_cfg: Mammoth2Config, cfg, out: Path):
        """A full ``save_pretrained`` folder (the next stage's ``model.init``)."""
        model = reference_model(model_cfg, cfg)
        model.mammothtok.load_state_dict(state)
        return model.save_pretrained(out)


def objective_for(stage: str) -> JointObjective | TokenizerObjective:
    return TokenizerObjective() if stage == "tok" else JointObjective()
