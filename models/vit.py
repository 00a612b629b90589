"""A small ViT used by MammothTok (encoder for the tiny preset, pixel decoder for all presets).

Legend: B images, N tokens per image, D width, P patch size.
"""

from __future__ import annotations

import torch
from torch import nn

from models.attention import Packed
from models.layers import INIT_STD, Attention, SwiGLU, swiglu_width

SINCOS_TEMPERATURE = 10000.0


def sincos_2d(h: int, w: int, dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Fixed 2-D sin-cos position embedding (h*w, dim), computed for any grid (native res)."""
    quarter = dim // 4
    omega = 1.0 / SINCOS_TEMPERATURE ** (torch.arange(quarter, device=device) / quarter)
    rows, cols = torch.meshgrid(
        torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij"
    )
    parts = []
    for coord in (rows.reshape(-1), cols.reshape(-1)):
        angle = coord[:, None].float() * omega[None, :]
        parts += [angle.sin(), angle.cos()]
    emb = torch.cat(parts, -1)
    return nn.functional.pad(emb, (0, dim - emb.shape[1]))


class ViTBlock(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.attn_norm, self.ffn_norm = nn.RMSNorm(dim), nn.RMSNorm(dim)
        self.attn = Attention(dim, heads, qk_norm=False)
        self.ffn = SwiGLU(dim, swiglu_width(dim, mult=8 / 3, multiple_of=8))

    def forward(self, x_TD: torch.Tensor, layout: Packed) -> torch.Tensor:
        x_TD = x_TD + self.attn(self.attn_norm(x_TD), layout)
        return x_TD + self.ffn(self.ffn_norm(x_TD))


class ViTStack(nn.Module):
    """Pre-norm transformer over (B, N, D) with a final RMSNorm; every image attends to itself."""

    def __init__(self, dim: int, depth: int, heads: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(ViTBlock(dim, heads) for _ in range(depth))
        self.norm = nn.RMSNorm(dim)

    def forward(self, x_BND: torch.Tensor) -> torch.Tensor:
        b, n, d = x_BND.shape
        layout = Packed.from_lengths([n] * b, x_BND.device)
        x_TD = x_BND.reshape(b * n, d)
        for block in self.blocks:
            x_TD = block(x_TD, layout)
        return self.norm(x_TD).reshape(b, n, d)


def patchify_images(x_BCHW: torch.Tensor, patch: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, H/P * W/P, P*P*C), row-major over the grid."""
    b, c, h, w = x_BCHW.shape
    grid = x_BCHW.reshape(b, c, h // patch, patch, w // patch, patch)
    return grid.permute(0, 2, 4, 3, 5, 1).reshape(b, (h // patch) * (w // patch), -1)


def unpatchify_images(x_BNF: torch.Tensor, hw: tuple[int, int], patch: int) -> torch.Tensor:
    b = x_BNF.shape[0]
    grid = x_BNF.reshape(b, hw[0], hw[1], patch, patch, -1)
    return grid.permute(0, 5, 1, 3, 2, 4).reshape(b, -1, hw[0] * patch, hw[1] * patch)


class PatchEncoder(nn.Module):
    """Pixels in [-1, 1] -> token features (B, h*w, D); h, w = H/P, W/P."""

    def __init__(self, patch: int, dim: int, depth: int, heads: int, channels: int = 3) -> None:
        super().__init__()
        self.patch = patch
        self.embed = nn.Linear(patch * patch * channels, dim)
        self.stack = ViTStack(dim, depth, heads)

    def forward(self, x_BCHW: torch.Tensor) -> torch.Tensor:
        h, w = x_BCHW.shape[2] // self.patch, x_BCHW.shape[3] // self.patch
        tokens = self.embed(patchify_images(x_BCHW, self.patch))
        return self.stack(
            tokens + sincos_2d(h, w, tokens.shape[-1], x_BCHW.device).to(tokens.dtype)
        )


class PatchDecoder(nn.Module):
    """Token vectors (B, h*w, d_in) -> pixels (B, C, h*P, w*P)."""

    def __init__(
        self, in_dim: int, patch: int, dim: int, depth: int, heads: int, channels: int = 3
    ):
        super().__init__()
        self.patch = patch
        self.embed = nn.Linear(in_dim, dim)
        self.stack = ViTStack(dim, depth, heads)
        self.out = nn.Linear(dim, patch * patch * channels)

    def forward(self, z_BNd: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        x = self.embed(z_BNd)
        x = self.stack(x + sincos_2d(*hw, x.shape[-1], z_BNd.device).to(x.dtype))
        return unpatchify_images(self.out(x), hw, self.patch)


@torch.no_grad()
def init_vit(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=INIT_STD)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.RMSNorm):
            nn.init.ones_(m.weight)
