"""MammothTok: the discrete visual tokenizer whose codes the backbone generates.

Encoder (pluggable: the built-in ViT, or AIMv2 through transformers at native resolution) ->
Linear to ``code_dim`` (8) -> L2-normalised vector quantisation against a 16384 x 8 codebook
(unit-norm codes, nearest = max cosine) -> ViT pixel decoder for reconstruction.

Gradients reach the encoder through the rotation trick (Fifty et al. 2024: the encoder output is
rotated onto its code by a detached rotation, so the gradient keeps angle information) or the
straight-through estimator. Losses: codebook ``|sg(z) - q|^2`` + ``beta |z - sg(q)|^2`` with
beta 0.25 (LlamaGen), pixel reconstruction, and an optional semantic-alignment term that pulls
encoder features towards a teacher's (the hook for language alignment).

Legend: B images, N = h*w tokens, W encoder width, d code dim, K codebook size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from models.config import MammothTokConfig
from models.vit import PatchDecoder, PatchEncoder, init_vit


def rotate_onto(z_Nd: torch.Tensor, q_Nd: torch.Tensor) -> torch.Tensor:
    """Value ``q``, gradient through the detached rotation-and-scale that maps ``z`` onto ``q``."""
    z_norm = z_Nd.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    q_norm = q_Nd.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    e = (z_Nd / z_norm).detach()
    q_hat = (q_Nd / q_norm).detach()
    r = F.normalize(e + q_hat, dim=-1)
    rotated = (
        z_Nd
        - 2 * r * (z_Nd * r).sum(-1, keepdim=True)
        + 2 * q_hat * (z_Nd * e).sum(-1, keepdim=True)
    )
    return rotated * (q_norm / z_norm).detach()


@dataclass
class QuantOutput:
    z_q: torch.Tensor  # (B, N, d) quantised vectors carrying encoder gradients
    codes: torch.Tensor  # (B, N) long
    loss: torch.Tensor  # codebook + beta * commitment


class L2Quantizer(nn.Module):
    """Nearest-code lookup on the unit sphere."""

    def __init__(self, size: int, dim: int, beta: float, rotation_trick: bool) -> None:
        super().__init__()
        self.codebook = nn.Embedding(size, dim)
        self.beta, self.rotation_trick = beta, rotation_trick

    def unit_codebook(self) -> torch.Tensor:
        return F.normalize(self.codebook.weight, dim=-1)

    def nearest(self, z_BNd: torch.Tensor) -> torch.Tensor:
        """Index of the closest unit code for each (normalised) vector."""
        return (F.normalize(z_BNd, dim=-1) @ self.unit_codebook().T).argmax(-1)

    def lookup(self, codes: torch.Tensor) -> torch.Tensor:
        return F.embedding(codes, self.unit_codebook())

    def forward(self, z_BNd: torch.Tensor) -> QuantOutput:
        z = F.normalize(z_BNd, dim=-1)
        codes = self.nearest(z)
        q = self.lookup(codes)
        codebook_loss = (q - z.detach()).pow(2).mean()
        commit_loss = (q.detach() - z).pow(2).mean()
        z_q = rotate_onto(z, q) if self.rotation_trick else z + (q - z).detach()
        return QuantOutput(z_q, codes, codebook_loss + self.beta * commit_loss)

    @torch.no_grad()
    def init_weights(self) -> None:
        size = self.codebook.num_embeddings
        nn.init.uniform_(self.codebook.weight, -1.0 / size, 1.0 / size)


def codebook_usage(codes: torch.Tensor, size: int) -> float:
    """Fraction of the codebook used by ``codes``."""
    return torch.unique(codes).numel() / size


def semantic_alignment_loss(features_BNW: torch.Tensor, target_BNW: torch.Tensor) -> torch.Tensor:
    """1 - mean cosine similarity between (projected) encoder features and teacher features."""
    return 1.0 - F.cosine_similarity(features_BNW.float(), target_BNW.float(), dim=-1).mean()


@dataclass
class TokOutput:
    recon: torch.Tensor  # (B, 3, H, W)
    codes: torch.Tensor  # (B, h, w)
    vq_loss: torch.Tensor
    features: torch.Tensor  # (B, N, W) encoder output before quantisation


class AIMv2Encoder(nn.Module):
    """transformers' AIMv2 vision tower at native resolution (no head): pixels -> (B, N, W)."""

    def __init__(self, cfg: MammothTokConfig) -> None:
        super().__init__()
        from transformers import Aimv2VisionConfig, Aimv2VisionModel

        kwargs = {"patch_size": cfg.patch_size, **cfg.aimv2, "is_native": True, "use_head": False}
        self.model = Aimv2VisionModel(Aimv2VisionConfig(**kwargs))
        self.patch = cfg.patch_size

    def forward(self, x_BCHW: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=x_BCHW).last_hidden_state


class MammothTok(nn.Module):
    def __init__(self, cfg: MammothTokConfig) -> None:
        super().__init__()
        self.cfg = cfg
        if cfg.encoder == "vit":
            self.encoder = PatchEncoder(cfg.patch_size, cfg.width, cfg.depth, cfg.heads)
        elif cfg.encoder == "aimv2":
            self.encoder = AIMv2Encoder(cfg)
        else:
            raise ValueError(f"unknown MammothTok encoder {cfg.encoder!r}; use 'vit' or 'aimv2'")
        enc_width = cfg.aimv2.get("hidden_size", 1024) if cfg.encoder == "aimv2" else cfg.width
        self.quant_proj = nn.Linear(enc_width, cfg.code_dim)
        self.quantizer = L2Quantizer(
            cfg.codebook_size, cfg.code_dim, cfg.commit_beta, cfg.rotation_trick
        )
        self.decoder = PatchDecoder(
            cfg.code_dim, cfg.patch_size, cfg.decoder_width, cfg.decoder_depth, cfg.decoder_heads
        )
        self.init_weights()

    def init_weights(self) -> None:
        if isinstance(self.encoder, AIMv2Encoder):
            self.encoder.model.apply(self.encoder.model._init_weights)
        else:
            init_vit(self.encoder)
        init_vit(self.decoder)
        init_vit(self.quant_proj)
        self.quantizer.init_weights()

    def grid(self, x_BCHW: torch.Tensor) -> tuple[int, int]:
        return x_BCHW.shape[2] // self.cfg.patch_size, x_BCHW.shape[3] // self.cfg.patch_size

    def forward(self, x_BCHW: torch.Tensor) -> TokOutput:
        """Encode, quantise and reconstruct images in [-1, 1] (sides multiples of the patch)."""
        hw = self.grid(x_BCHW)
        features = self.encoder(x_BCHW)
        quant = self.quantizer(self.quant_proj(features))
        recon = self.decoder(quant.z_q, hw)
        return TokOutput(recon, quant.codes.reshape(-1, *hw), quant.loss, features)

    @torch.no_grad()
    def encode(self, x_BCHW: torch.Tensor) -> torch.Tensor:
        """Code grid (B, h, w)."""
        hw = self.grid(x_BCHW)
        return self.quantizer.nearest(self.quant_proj(self.encoder(x_BCHW))).reshape(-1, *hw)

    @torch.no_grad()
    def decode(self, codes_Bhw: torch.Tensor) -> torch.Tensor:
        hw = tuple(codes_Bhw.shape[1:])
        return self.decoder(self.quantizer.lookup(codes_Bhw.flatten(1)), hw)

    def losses(
        self,
        x_BCHW: torch.Tensor,
        semantic_target: torch.Tensor | None = None,
        semantic_proj: nn.Module | None = None,
        semantic_weight: float = 1.0,
    ) -> dict[str, torch.Tensor]:
        """Training losses: ``total`` = recon MSE + VQ (+ weighted semantic alignment)."""
        out = self(x_BCHW)
        recon = F.mse_loss(out.recon.float(), x_BCHW.float())
        terms = {
            "recon": recon,
            "vq": out.vq_loss,
            "usage": torch.tensor(codebook_usage(out.codes, self.cfg.codebook_size)),
        }
        total = recon + out.vq_loss
        if semantic_target is not None:
            feats = semantic_proj(out.features) if semantic_proj is not None else out.features
            terms["semantic"] = semantic_alignment_loss(feats, semantic_target)
            total = total + semantic_weight * terms["semantic"]
        terms["total"] = total
        return terms
