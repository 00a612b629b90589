"""Single-stream diffusion transformer (Lumina-Image-2.0 / OmniGen2 block, as in Mammoth2).

Per sample the joint sequence is ``[condition ; reference images ; noisy image]``:
condition tokens pass a ``context_refiner`` (unmodulated), noisy-image patches a ``noise_refiner``
and each reference image a ``ref_refiner`` (both modulated by the timestep), then all go through
``layers`` jointly. Only the noisy-image slice is read out.

Block: sandwich RMSNorm (pre and post) around attention and SwiGLU, scale-only adaLN from the
timestep embedding with tanh gates. The adaLN projections and the output projection are
zero-initialised, so every fresh block is the identity and a fresh DiT outputs exactly zero.

Legend: B samples, T stream tokens, D width, A adaLN width, C channels, P patch size.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from models.config import DiTConfig
from models.layers import INIT_STD, Attention, SwiGLU, swiglu_width
from models.rope import rope_angles, sequence_positions
from models.streams import Stream, make_stream

TIMESTEP_FREQ_DIM = 256
MAX_ADALN_DIM = 1024  # the adaLN input width is min(D, 1024)
MAX_PERIOD = 10000.0


def adaln_width(hidden: int) -> int:
    return min(hidden, MAX_ADALN_DIM)


def timestep_features(t_B: torch.Tensor, dim: int = TIMESTEP_FREQ_DIM) -> torch.Tensor:
    """Sinusoidal features [cos, sin] of t (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(MAX_PERIOD) * torch.arange(half, device=t_B.device) / half)
    angle_BF = t_B.float()[:, None] * freqs[None, :]
    return torch.cat([angle_BF.cos(), angle_BF.sin()], -1)


class TimestepEmbedder(nn.Module):
    def __init__(self, cfg: DiTConfig) -> None:
        super().__init__()
        width = adaln_width(cfg.hidden)
        self.scale = cfg.timestep_scale
        self.mlp = nn.Sequential(
            nn.Linear(TIMESTEP_FREQ_DIM, width), nn.SiLU(), nn.Linear(width, width)
        )

    def forward(self, t_B: torch.Tensor) -> torch.Tensor:
        feats = timestep_features(t_B * self.scale)
        return self.mlp(feats.to(self.mlp[0].weight.dtype))


class DiTBlock(nn.Module):
    """Sandwich-norm block; ``modulated=False`` is the context-refiner variant (no adaLN)."""

    def __init__(self, cfg: DiTConfig, modulated: bool) -> None:
        super().__init__()
        dim, eps = cfg.hidden, cfg.norm_eps
        self.attn = Attention(dim, cfg.heads, cfg.kv_heads, qk_norm=True, eps=eps)
        self.ffn = SwiGLU(dim, swiglu_width(dim))
        self.attn_norm1, self.attn_norm2 = nn.RMSNorm(dim, eps=eps), nn.RMSNorm(dim, eps=eps)
        self.ffn_norm1, self.ffn_norm2 = nn.RMSNorm(dim, eps=eps), nn.RMSNorm(dim, eps=eps)
        self.modulation = (
            nn.Sequential(nn.SiLU(), nn.Linear(adaln_width(dim), 4 * dim)) if modulated else None
        )

    def forward(
        self,
        x_TD: torch.Tensor,
        stream: Stream,
        rope_TE2: torch.Tensor,
        temb_BA: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if self.modulation is None:
            x_TD = x_TD + self.attn_norm2(self.attn(self.attn_norm1(x_TD), stream.layout, rope_TE2))
            return x_TD + self.ffn_norm2(self.ffn(self.ffn_norm1(x_TD)))
        mod_T4D = self.modulation(temb_BA)[stream.owner_T]
        scale_msa, gate_msa, scale_mlp, gate_mlp = mod_T4D.chunk(4, -1)
        attn_in = self.attn_norm1(x_TD) * (1 + scale_msa)
        x_TD = x_TD + gate_msa.tanh() * self.attn_norm2(self.attn(attn_in, stream.layout, rope_TE2))
        ffn_in = self.ffn_norm1(x_TD) * (1 + scale_mlp)
        return x_TD + gate_mlp.tanh() * self.ffn_norm2(self.ffn(ffn_in))

    def init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
            elif isinstance(module, nn.RMSNorm):
                nn.init.ones_(module.weight)
        if self.modulation is not None:  # zero-init: the block starts as the identity
            nn.init.zeros_(self.modulation[1].weight)
            nn.init.zeros_(self.modulation[1].bias)


class FinalLayer(nn.Module):
    """LayerNorm without affine, scale-only modulation, projection to patch pixels (zero-init)."""

    def __init__(self, cfg: DiTConfig) -> None:
        super().__init__()
        dim = cfg.hidden
        self.norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(adaln_width(dim), dim))
        self.proj = nn.Linear(dim, cfg.patch_size**2 * cfg.in_channels)

    def forward(self, x_TD: torch.Tensor, scale_TD: torch.Tensor) -> torch.Tensor:
        return self.proj(self.norm(x_TD) * (1 + scale_TD))

    def init_weights(self) -> None:
        for linear in (self.modulation[1], self.proj):
            nn.init.zeros_(linear.weight)
            nn.init.zeros_(linear.bias)


def patchify(x_CHW: torch.Tensor, patch: int) -> torch.Tensor:
    """(C, H, W) -> (H/P * W/P, P*P*C), row-major over the token grid."""
    c, h, w = x_CHW.shape
    grid = x_CHW.reshape(c, h // patch, patch, w // patch, patch)
    return grid.permute(1, 3, 2, 4, 0).reshape((h // patch) * (w // patch), patch * patch * c)


def unpatchify(tokens_TF: torch.Tensor, hw: tuple[int, int], patch: int) -> torch.Tensor:
    """Inverse of :func:`patchify` for a (h, w) token grid."""
    h, w = hw
    grid = tokens_TF.reshape(h, w, patch, patch, -1)
    return grid.permute(4, 0, 2, 1, 3).reshape(-1, h * patch, w * patch)


class DiT(nn.Module):
    """Velocity predictor v(x_t, t | condition, references)."""

    def __init__(self, cfg: DiTConfig) -> None:
        super().__init__()
        if cfg.hidden // cfg.heads != sum(cfg.axes_dim):
            raise ValueError(f"head dim {cfg.hidden // cfg.heads} != sum(axes_dim) {cfg.axes_dim}")
        self.cfg = cfg
        patch_dim = cfg.patch_size**2 * cfg.in_channels
        self.t_embedder = TimestepEmbedder(cfg)
        self.x_embedder = nn.Linear(patch_dim, cfg.hidden)
        self.ref_embedder = nn.Linear(patch_dim, cfg.hidden)
        self.image_index_embedding = nn.Parameter(torch.empty(cfg.max_ref_images, cfg.hidden))
        n_ref = cfg.refiner_layers
        self.context_refiner = nn.ModuleList(DiTBlock(cfg, False) for _ in range(n_ref))
        self.noise_refiner = nn.ModuleList(DiTBlock(cfg, True) for _ in range(n_ref))
        self.ref_refiner = nn.ModuleList(DiTBlock(cfg, True) for _ in range(n_ref))
        self.layers = nn.ModuleList(DiTBlock(cfg, True) for _ in range(cfg.layers))
        self.final = FinalLayer(cfg)
        self.init_weights()

    def init_weights(self) -> None:
        for linear in (self.x_embedder, self.ref_embedder, *self.t_embedder.mlp[::2]):
            nn.init.normal_(linear.weight, std=INIT_STD)
            nn.init.zeros_(linear.bias)
        nn.init.normal_(self.image_index_embedding, std=INIT_STD)
        for block in (*self.context_refiner, *self.noise_refiner, *self.ref_refiner, *self.layers):
            block.init_weights()
        self.final.init_weights()

    def forward(
        self,
        x_t: list[torch.Tensor],
        t_B: torch.Tensor,
        cond: list[torch.Tensor],
        refs: list[list[torch.Tensor]] | None = None,
        padded: bool = False,
    ) -> list[torch.Tensor]:
        """Velocity for each noisy image.

        Args:
            x_t: B tensors (C, H, W), H and W multiples of the patch size; sizes may differ.
            t_B: times in [0, 1] (0 noise, 1 data).
            cond: B condition sequences (L_b, D), already projected to the DiT width.
            refs: per sample, a list of reference latents (C, H', W') for editing.
            padded: run every stream right-padded instead of packed (same valid outputs).
        """
        refs = refs if refs is not None else [[] for _ in x_t]
        p = self.cfg.patch_size
        img_hw = [(x.shape[1] // p, x.shape[2] // p) for x in x_t]
        ref_hw = [[(r.shape[1] // p, r.shape[2] // p) for r in rs] for rs in refs]
        temb_BA = self.t_embedder(t_B)
        plan = _plan(cond, img_hw, ref_hw, padded, t_B.device)
        ropes = {name: self._rope(plan, name) for name in ("cond", "img", "ref", "joint")}

        x_cond = plan["cond"].scatter(cond)
        for block in self.context_refiner:
            x_cond = block(x_cond, plan["cond"], ropes["cond"])
        x_img = plan["img"].scatter([self.x_embedder(patchify(x, p)) for x in x_t])
        for block in self.noise_refiner:
            x_img = block(x_img, plan["img"], ropes["img"], temb_BA)
        pieces = [plan["cond"].gather(x_cond), plan["img"].gather(x_img)]
        pieces.append(self._refine_refs(refs, plan, ropes["ref"], temb_BA))

        joint = plan["joint"].scatter(_interleave(*pieces, ref_counts=[len(r) for r in refs]))
        for block in self.layers:
            joint = block(joint, plan["joint"], ropes["joint"], temb_BA)
        return self._read_out(joint, plan, img_hw, temb_BA)

    def _refine_refs(
        self, refs: list[list[torch.Tensor]], plan: dict, rope: torch.Tensor, temb_BA: torch.Tensor
    ) -> list[torch.Tensor]:
        if "ref" not in plan:
            return []
        p = self.cfg.patch_size
        tokens = [
            self.ref_embedder(patchify(r, p)) + self.image_index_embedding[i]
            for rs in refs
            for i, r in enumerate(rs)
        ]
        x_ref = plan["ref"].scatter(tokens)
        for block in self.ref_refiner:
            x_ref = block(x_ref, plan["ref"], rope, temb_BA)
        return plan["ref"].gather(x_ref)

    def _read_out(
        self, joint: torch.Tensor, plan: dict, img_hw: list[tuple[int, int]], temb_BA: torch.Tensor
    ) -> list[torch.Tensor]:
        scale_BD = self.final.modulation(temb_BA)
        outs = []
        for b, (start, hw) in enumerate(zip(plan["img_start"], img_hw, strict=True)):
            n = hw[0] * hw[1]
            tokens = self.final(joint[start : start + n], scale_BD[b].expand(n, -1))
            outs.append(unpatchify(tokens, hw, self.cfg.patch_size))
        return outs

    def _rope(self, plan: dict, name: str) -> torch.Tensor | None:
        if name not in plan:
            return None
        stream: Stream = plan[name]
        pos = stream.scatter(plan[f"{name}_pos"])
        return rope_angles(pos, self.cfg.axes_dim, self.cfg.rope_theta)


def _plan(
    cond: list[torch.Tensor],
    img_hw: list[tuple[int, int]],
    ref_hw: list[list[tuple[int, int]]],
    padded: bool,
    device: torch.device,
) -> dict:
    """Streams and RoPE positions of every part of every sample."""
    n = len(cond)
    owners = list(range(n))
    cond_lens = [c.shape[0] for c in cond]
    img_lens = [h * w for h, w in img_hw]
    ref_lens = [[h * w for h, w in hws] for hws in ref_hw]
    joint_lens = [c + sum(r) + i for c, r, i in zip(cond_lens, ref_lens, img_lens, strict=True)]
    plan = {
        "cond": make_stream(cond_lens, owners, padded, device),
        "img": make_stream(img_lens, owners, padded, device),
        "joint": make_stream(joint_lens, owners, padded, device),
        "cond_pos": [],
        "img_pos": [],
        "ref_pos": [],
        "joint_pos": [],
    }
    flat_refs = [length for lens in ref_lens for length in lens]
    if flat_refs:
        ref_owners = [b for b, lens in enumerate(ref_lens) for _ in lens]
        plan["ref"] = make_stream(flat_refs, ref_owners, padded, device)
    for b in range(n):
        pos = sequence_positions(cond_lens[b], [*ref_hw[b], img_hw[b]], device)
        plan["joint_pos"].append(pos)
        plan["cond_pos"].append(pos[: cond_lens[b]])
        plan["img_pos"].append(pos[joint_lens[b] - img_lens[b] :])
        plan["ref_pos"].extend(pos[cond_lens[b] : joint_lens[b] - img_lens[b]].split(ref_lens[b]))
    joint_offsets = plan["joint"].offsets
    plan["img_start"] = [
        o + j - i for o, j, i in zip(joint_offsets, joint_lens, img_lens, strict=True)
    ]
    return plan


def _interleave(
    cond: list[torch.Tensor],
    img: list[torch.Tensor],
    refs: list[torch.Tensor],
    ref_counts: list[int],
) -> list[torch.Tensor]:
    """Per sample ``cat([cond ; refs ; img])`` from the refined streams."""
    joint, k = [], 0
    for b, count in enumerate(ref_counts):
        joint.append(torch.cat([cond[b], *refs[k : k + count], img[b]], 0))
        k += count
    return joint
