"""Image <-> DiT latent space: diffusers ``AutoencoderKL``, or pixels directly (tiny preset).

Latents are normalised as ``(z - shift_factor) * scaling_factor`` (FLUX VAE: 0.1159, 0.3611) and
encoded with ``latent_dist.sample()`` as in the reference implementation.

Legend: B images, C channels, H x W pixels, h x w latent grid.
"""

from __future__ import annotations

import torch
from torch import nn

from models.config import VAEConfig


class ImageAutoencoder(nn.Module):
    """Pixels in [-1, 1] (B, 3, H, W) <-> normalised latents (B, C, H/f, W/f)."""

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.kl = None
        if cfg.kind == "kl":
            from diffusers import AutoencoderKL

            self.kl = AutoencoderKL(**cfg.diffusers)
        elif cfg.kind != "pixels":
            raise ValueError(f"unknown VAE kind {cfg.kind!r}; use 'pixels' or 'kl'")

    @property
    def downsample(self) -> int:
        if self.kl is None:
            return 1
        return 2 ** (len(self.kl.config.block_out_channels) - 1)

    @property
    def channels(self) -> int:
        return 3 if self.kl is None else self.kl.config.latent_channels

    def encode(
        self, x_BCHW: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        if self.kl is None:
            return x_BCHW
        z = self.kl.encode(x_BCHW.to(self.kl.dtype)).latent_dist.sample(generator)
        return (z - self.cfg.shift_factor) * self.cfg.scaling_factor

    def decode(self, z_BChw: torch.Tensor) -> torch.Tensor:
        if self.kl is None:
            return z_BChw
        z = z_BChw / self.cfg.scaling_factor + self.cfg.shift_factor
        return self.kl.decode(z.to(self.kl.dtype)).sample

    @torch.no_grad()
    def init_weights(self) -> None:
        """Default initialisation of the autoencoder's layers (weights usually come pretrained)."""
        if self.kl is None:
            return
        for module in self.kl.modules():
            if module is not self.kl and hasattr(module, "reset_parameters"):
                module.reset_parameters()
