import math

import pytest
import torch

from models.flow import (
    DATA_PREDICTION_MIN_GAP,
    inference_times,
    interpolate,
    mu_for_tokens,
    sample_train_times,
    shift_time,
    shift_v1,
    shift_v2,
    velocity_from_data,
    velocity_target,
)
from models.sampling import (
    EditCFG,
    TextCFG,
    sample_euler,
    sample_heun,
    sample_midpoint,
    step_window,
)


def test_interpolation_convention_t0_noise_t1_data():
    x0, x1 = torch.randn(2, 3), torch.randn(2, 3)
    torch.testing.assert_close(interpolate(x0, x1, torch.zeros(2)), x0)
    torch.testing.assert_close(interpolate(x0, x1, torch.ones(2)), x1)
    t, dt = torch.full((2,), 0.3), 1e-3
    numeric = (interpolate(x0, x1, t + dt) - interpolate(x0, x1, t)) / dt
    torch.testing.assert_close(numeric, velocity_target(x0, x1), atol=1e-3, rtol=0)


def test_shift_reference_values():
    assert float(mu_for_tokens(256)) == pytest.approx(0.5)
    assert float(mu_for_tokens(4096)) == pytest.approx(1.15)
    t = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
    sigma = 1 - t
    flux = math.exp(1.15) / (math.exp(1.15) + (1 / sigma - 1))  # FLUX formula on sigma
    torch.testing.assert_close(shift_v1(t, 4096), 1 - flux)
    torch.testing.assert_close(shift_v2(t, 4096), t / (3.2 - 3.2 * t + t))
    # sampling grid: 1024 px -> 128 x 128 latents -> m = 3.2; t = 0.5 -> 0.5 / 2.1
    grid = inference_times(2, (128, 128))
    torch.testing.assert_close(grid, torch.tensor([0.0, 0.5 / 2.1, 1.0]))


def test_train_times_logit_normal_and_shifted_towards_noise_for_big_images():
    g = torch.Generator().manual_seed(0)
    plain = sample_train_times([256] * 20000, shift="none", generator=g)
    assert float(plain.mean()) == pytest.approx(0.5, abs=0.01)
    assert float(torch.logit(plain).std()) == pytest.approx(1.0, abs=0.03)
    big = sample_train_times([4096] * 20000, generator=torch.Generator().manual_seed(0))
    assert float(big.mean()) < float(plain.mean()) - 0.1
    assert ((big > 0) & (big < 1)).all()


def _linear_field(a: float):
    return lambda x, t: a * x


@pytest.mark.parametrize("sampler", [sample_euler, sample_heun, sample_midpoint])
def test_samplers_are_exact_on_a_constant_velocity(sampler):
    x0, x1 = torch.randn(4), torch.randn(4)
    ts = shift_time(torch.linspace(0, 1, 8), 3.0)
    out = sampler(lambda x, t: velocity_target(x0, x1), x0, ts)
    torch.testing.assert_close(out, x1)


def test_sampler_orders_on_a_field_with_known_solution():
    x0 = torch.ones(1, dtype=torch.float64)
    exact = math.exp(1.0)  # dx/dt = x from t = 0 to 1

    def error(sampler, n):
        return abs(float(sampler(_linear_field(1.0), x0, torch.linspace(0, 1, n + 1))) - exact)

    assert error(sample_euler, 10) / error(sample_euler, 20) == pytest.approx(2.0, rel=0.1)
    for second_order in (sample_heun, sample_midpoint):
        assert error(second_order, 10) / error(second_order, 20) == pytest.approx(4.0, rel=0.1)
        assert error(second_order, 10) < error(sample_euler, 10) / 10


def _const(value: float):
    return lambda x, t: torch.full_like(x, value)


def test_text_cfg_applies_only_inside_its_step_range():
    seen = []
    guided = TextCFG(_const(2.0), _const(1.0), scale=5.0, t_range=(0.5, 1.0))
    ts = torch.linspace(0, 1, 5)
    sample_euler(
        guided, torch.zeros(1), ts, callback=lambda d: seen.append((float(d["t"]), float(d["v"])))
    )
    assert seen == [(0.0, 2.0), (0.25, 2.0), (0.5, 6.0), (0.75, 6.0)]  # u + s (c - u) = 6


def test_cfg_range_is_a_share_of_the_steps_on_a_shifted_grid():
    ts = inference_times(10, (64, 64))  # shifted: the steps are not evenly spaced in t
    seen = []
    guided = TextCFG(_const(2.0), _const(1.0), scale=5.0, t_range=step_window(ts, (0.3, 0.6)))
    sample_euler(guided, torch.zeros(1), ts, callback=lambda d: seen.append(float(d["v"])))
    assert seen == [2.0] * 3 + [6.0] * 3 + [2.0] * 4  # steps 3, 4, 5 of 10
    assert step_window(ts, (0.0, 1.0)) == (0.0, 1.0)
    assert step_window(ts, (0.9, 1.0)) == (float(ts[-2]), 1.0)
    never = TextCFG(_const(2.0), _const(1.0), scale=5.0, t_range=step_window(ts, (0.5, 0.5)))
    assert all(float(never(torch.zeros(1), t)) == 2.0 for t in ts)


def test_edit_cfg_three_pass_formula():
    guided = EditCFG(_const(3.0), _const(2.0), _const(1.0), text_scale=5.0, image_scale=2.0)
    # u + s_i (r - u) + s_t (c - r) = 1 + 2 * 1 + 5 * 1
    assert float(guided(torch.zeros(1), torch.tensor(0.3))) == 8.0
    outside = EditCFG(_const(3.0), _const(2.0), _const(1.0), 5.0, 2.0, t_range=(0.0, 0.2))
    assert float(outside(torch.zeros(1), torch.tensor(0.3))) == 3.0


def test_data_prediction_velocity_lands_on_the_predicted_image():
    x0, x1 = torch.randn(3, 8, 8), torch.randn(3, 8, 8)
    for t in (0.0, 0.3, 0.9):
        x_t = interpolate(x0, x1, torch.tensor(t))
        v = velocity_from_data(x1, x_t, torch.tensor(t))
        torch.testing.assert_close(v, velocity_target(x0, x1))  # the exact x1 gives the true v
        torch.testing.assert_close(x_t + (1 - t) * v, x1)  # one Euler step to t = 1 reaches it
    x_t = interpolate(x0, x1, torch.tensor(1.0))  # 1 - t is clipped, so v stays finite
    v = velocity_from_data(x1 + 1, x_t, torch.tensor(1.0))
    torch.testing.assert_close(v, torch.full_like(v, 1 / DATA_PREDICTION_MIN_GAP))
