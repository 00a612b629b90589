"""Samplers over a velocity field and classifier-free guidance, as plain functions.

Every sampler has the signature ``(denoiser, x, ts, callback=None) -> x`` where
``denoiser(x, t) -> velocity`` (t a 0-d tensor, 0 noise -> 1 data) and ``ts`` is an increasing
time grid. ``callback`` receives ``{"i", "t", "x", "v"}`` after every step (previews, progress).

Guidance is a denoiser wrapper. It applies inside a flow-time window ``t_range = (lo, hi)``
(0 noise; half-open, and ``hi = 1`` includes the end) and otherwise returns the conditional
velocity. Users give the window as the reference's ``cfg_range``, a fraction of the steps
(step i of N is guided when ``lo <= i / N < hi``); :func:`step_window` turns it into flow times on
the sampler's grid. The scales are never mutated between steps (the reference implementation
overwrote them in the loop, so a window starting above 0 disabled guidance).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Callback = Callable[[dict], None] | None


def sample_euler(
    denoiser: Denoiser, x: torch.Tensor, ts: torch.Tensor, callback: Callback = None
) -> torch.Tensor:
    """First-order: x <- x + (t_next - t) v(x, t)."""
    for i in range(len(ts) - 1):
        v = denoiser(x, ts[i])
        x = x + (ts[i + 1] - ts[i]) * v
        if callback is not None:
            callback({"i": i, "t": ts[i], "x": x, "v": v})
    return x


def sample_heun(
    denoiser: Denoiser, x: torch.Tensor, ts: torch.Tensor, callback: Callback = None
) -> torch.Tensor:
    """Second-order Heun (trapezoidal predictor-corrector); two evaluations per step."""
    for i in range(len(ts) - 1):
        dt = ts[i + 1] - ts[i]
        v = denoiser(x, ts[i])
        x_pred = x + dt * v
        v_next = denoiser(x_pred, ts[i + 1])
        x = x + dt * 0.5 * (v + v_next)
        if callback is not None:
            callback({"i": i, "t": ts[i], "x": x, "v": v})
    return x


def sample_midpoint(
    denoiser: Denoiser, x: torch.Tensor, ts: torch.Tensor, callback: Callback = None
) -> torch.Tensor:
    """Second-order explicit midpoint (Lumina's sampler); two evaluations per step."""
    for i in range(len(ts) - 1):
        dt = ts[i + 1] - ts[i]
        v = denoiser(x, ts[i])
        v_mid = denoiser(x + 0.5 * dt * v, ts[i] + 0.5 * dt)
        x = x + dt * v_mid
        if callback is not None:
            callback({"i": i, "t": ts[i], "x": x, "v": v_mid})
    return x


SAMPLERS = {"euler": sample_euler, "heun": sample_heun, "midpoint": sample_midpoint}


def get_sampler(name: str) -> Callable[..., torch.Tensor]:
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; choose from {sorted(SAMPLERS)}")
    return SAMPLERS[name]


def step_window(ts: torch.Tensor, cfg_range: tuple[float, float]) -> tuple[float, float]:
    """Flow-time window of the steps i (of N = len(ts) - 1) with ``lo <= i / N < hi``.

    A step's second evaluation (midpoint, Heun's corrector at the next grid time) belongs to the
    window its time falls in. An empty step set gives a window no time is in.
    """
    n = len(ts) - 1
    active = [i for i in range(n) if cfg_range[0] <= i / n < cfg_range[1]]
    if not active:
        return (math.inf, math.inf)
    return float(ts[active[0]]), float(ts[active[-1] + 1])


def in_range(t: torch.Tensor, t_range: tuple[float, float]) -> bool:
    lo, hi = t_range
    t = float(t)
    return lo <= t < hi or (hi >= 1.0 and t >= hi)


@dataclass
class TextCFG:
    """v = u + s (c - u) inside ``t_range``; ``u`` is the negative/empty-prompt branch."""

    cond: Denoiser
    uncond: Denoiser
    scale: float
    t_range: tuple[float, float] = (0.0, 1.0)

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        c = self.cond(x, t)
        if self.scale == 1.0 or not in_range(t, self.t_range):
            return c
        u = self.uncond(x, t)
        return u + self.scale * (c - u)


@dataclass
class EditCFG:
    """Three-pass edit guidance: v = u + s_i (r - u) + s_t (c - r).

    ``cond``: instruction + reference image; ``ref``: negative prompt + reference image;
    ``uncond``: negative prompt, no reference.
    """

    cond: Denoiser
    ref: Denoiser
    uncond: Denoiser
    text_scale: float
    image_scale: float
    t_range: tuple[float, float] = (0.0, 1.0)

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        c = self.cond(x, t)
        if not in_range(t, self.t_range):
            return c
        r, u = self.ref(x, t), self.uncond(x, t)
        return u + self.image_scale * (r - u) + self.text_scale * (c - r)
