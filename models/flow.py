"""Flow-matching conventions of Mammoth2 (Lumina-Image-2.0 / OmniGen2 transport).

t = 0 is noise and t = 1 is data: ``x_t = t * x1 + (1 - t) * x0`` with x1 the data and
x0 ~ N(0, I); the network predicts the velocity ``v = x1 - x0``. Training times are logit-normal
(sigmoid of a normal) and then shifted towards the noise end for larger images:

* ``v1`` (training default): FLUX's shift with mu linear in the token count, from 0.5 at 256 to
  1.15 at 4096 tokens; applied to sigma = 1 - t, which equals ``shift_time(t, e^mu)``.
* ``v2``: ``shift_time(t, m)`` with m = sqrt(tokens) / 20.

At inference the Euler grid is ``linspace(0, 1, N + 1)`` shifted with m = sqrt(H_lat * W_lat) / 40
(m = 3.2 for 128 x 128 latents, i.e. a 1024 px image with an 8x VAE).

The network predicts the velocity (the reference) or, with ``prediction = "data"``, the clean
image x1, turned into the velocity it implies (JiT, "Back to Basics: Let Denoising Generative
Models Denoise"). The loss is on the velocity either way. Data prediction matters when a patch has
as many values as the DiT is wide, or more (the tiny preset's pixel patches): copying the
full-dimensional noise through that width fails, and the samples fill with patch-sized speckles.
"""

from __future__ import annotations

import math

import torch

MU_TOKENS = (256, 4096)  # token counts where mu is pinned
MU_VALUES = (0.5, 1.15)  # mu at those token counts
DATA_PREDICTION_MIN_GAP = 0.05  # 1 - t is clipped here (JiT), so v stays finite near t = 1
PREDICTIONS = ("velocity", "data")
V2_SHIFT_DIVISOR = 20.0  # m = sqrt(tokens) / 20 for the v2 training shift
INFERENCE_SHIFT_DIVISOR = 40.0  # m = sqrt(H_lat * W_lat) / 40 at sampling time


def interpolate(x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_t = t * x1 + (1 - t) * x0; ``t`` broadcasts from the leading dimension."""
    t = t.reshape(-1, *([1] * (x1.dim() - 1))) if t.dim() else t
    return t * x1 + (1 - t) * x0


def velocity_target(x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
    """d x_t / dt = x1 - x0 (data minus noise)."""
    return x1 - x0


def velocity_from_data(x1_hat: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """v = (x1_hat - x_t) / (1 - t) for one sample at scalar time ``t``."""
    return (x1_hat - x_t) / (1 - t).clamp(min=DATA_PREDICTION_MIN_GAP)


def shift_time(t: torch.Tensor, m: float | torch.Tensor) -> torch.Tensor:
    """t' = t / (m - m t + t): for m > 1, spends more of [0, 1] near the noise end."""
    return t / (m - m * t + t)


def mu_for_tokens(tokens: int | torch.Tensor) -> torch.Tensor:
    """FLUX mu, linear in the token count through (256, 0.5) and (4096, 1.15)."""
    slope = (MU_VALUES[1] - MU_VALUES[0]) / (MU_TOKENS[1] - MU_TOKENS[0])
    return torch.as_tensor(
        MU_VALUES[0] + slope * (torch.as_tensor(tokens, dtype=torch.float64) - MU_TOKENS[0])
    )


def shift_v1(t: torch.Tensor, tokens: int | torch.Tensor) -> torch.Tensor:
    """FLUX shift on sigma = 1 - t: sigma' = e^mu / (e^mu + 1/sigma - 1), i.e. m = e^mu."""
    return shift_time(t, torch.exp(mu_for_tokens(tokens)).to(t.dtype))


def shift_v2(t: torch.Tensor, tokens: int | torch.Tensor) -> torch.Tensor:
    m = torch.as_tensor(tokens, dtype=t.dtype).sqrt() / V2_SHIFT_DIVISOR
    return shift_time(t, m)


def sample_train_times(
    tokens: list[int],
    mean: float = 0.0,
    std: float = 1.0,
    shift: str = "v1",
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """One training time per sample (B,), logit-normal then shifted by that sample's tokens."""
    normal = torch.randn(len(tokens), generator=generator, device=device) * std + mean
    t = torch.sigmoid(normal)
    counts = torch.tensor(tokens, dtype=t.dtype, device=device)
    if shift == "v1":
        return shift_v1(t, counts)
    if shift == "v2":
        return shift_v2(t, counts)
    if shift == "none":
        return t
    raise ValueError(f"unknown time shift {shift!r}; expected v1, v2 or none")


def inference_times(steps: int, latent_hw: tuple[int, int]) -> torch.Tensor:
    """Sampling grid (steps + 1,) from 0 (noise) to 1 (data) with the resolution shift."""
    m = math.sqrt(latent_hw[0] * latent_hw[1]) / INFERENCE_SHIFT_DIVISOR
    return shift_time(torch.linspace(0.0, 1.0, steps + 1, dtype=torch.float64), m).float()


def flow_matching_loss(
    v_pred: list[torch.Tensor], v_target: list[torch.Tensor]
) -> tuple[torch.Tensor, int]:
    """Sum over samples of the per-sample mean squared error, and the sample count.

    Callers divide by the global sample count (all ranks, all micro-batches) so the loss does
    not depend on how samples are split.
    """
    per_sample = [
        (p.float() - y.float()).pow(2).mean() for p, y in zip(v_pred, v_target, strict=True)
    ]
    return torch.stack(per_sample).sum(), len(per_sample)
