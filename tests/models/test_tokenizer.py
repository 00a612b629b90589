import math
import random

import pytest
import torch
import torch.nn.functional as F

from corpus.shapes import render_scene, sample_scene
from models.config import MammothTokConfig
from models.samples import pil_to_tensor
from models.tokenizer import L2Quantizer, MammothTok, codebook_usage, rotate_onto


def _known_quantizer(rotation_trick: bool = True) -> L2Quantizer:
    quant = L2Quantizer(size=4, dim=2, beta=0.25, rotation_trick=rotation_trick)
    with torch.no_grad():  # unit codes at 0, 90, 180, 270 degrees (scaled: lookup normalises)
        quant.codebook.weight.copy_(torch.tensor([[2.0, 0], [0, 3.0], [-1.0, 0], [0, -5.0]]))
    return quant


def test_nearest_code_lookup_is_cosine_and_scale_invariant():
    quant = _known_quantizer()
    z = torch.tensor([[[0.9, 0.1], [-0.2, 10.0], [-3.0, -0.5], [0.1, -0.01]]])
    out = quant(z)
    assert out.codes.tolist() == [[0, 1, 2, 0]]
    torch.testing.assert_close(out.z_q.norm(dim=-1), torch.ones(1, 4))
    torch.testing.assert_close(quant.lookup(out.codes), out.z_q)


def test_rotation_trick_value_is_the_code_and_gradient_reaches_input():
    z = torch.randn(5, 8, requires_grad=True)
    q = F.normalize(torch.randn(5, 8), dim=-1)
    out = rotate_onto(z, q)
    torch.testing.assert_close(out, q, atol=1e-5, rtol=0)
    out.sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0


def test_rotation_trick_gradient_is_the_rotated_and_scaled_upstream_gradient():
    """Worked by hand: e = (2, 0, 0) onto q = (0, 3, 0). The rotation taking e/|e| to q/|q| turns
    the e-q plane by +90 degrees (x -> y, y -> -x) and leaves z alone; the scale is
    |q| / |e| = 1.5. Both are constants, so d loss / d e = 1.5 R^T g for the upstream gradient
    g; R^T g = (g_y, -g_x, g_z). Straight-through would pass g = (1, 2, 5) unchanged."""
    e = torch.tensor([2.0, 0.0, 0.0], requires_grad=True)
    out = rotate_onto(e, torch.tensor([0.0, 3.0, 0.0]))
    (out * torch.tensor([1.0, 2.0, 5.0])).sum().backward()  # loss = g . out
    torch.testing.assert_close(e.grad, torch.tensor([3.0, -1.5, 7.5]))


def test_quantizer_passes_the_rotation_trick_gradient_through_the_normalisation():
    """z = (3, 4) is 53.13 degrees from the x axis; its nearest code is (0, 1) (cosine 0.8 vs
    0.6). For g = (1, 2) on z_q: the rotation maps the tangent t_z = (-0.8, 0.6) of z/|z| onto
    the code's tangent (-1, 0), so R^T g has component (-1, 0) . g = -1 along t_z, and
    normalising z (|z| = 5) keeps only that component, divided by 5:
    grad = -1 * t_z / 5 = (0.16, -0.12). Straight-through: (t_z . g) t_z / 5 = (-0.064, 0.048)."""
    quant = _known_quantizer()
    z = torch.tensor([[[3.0, 4.0]]], requires_grad=True)
    out = quant(z)
    assert out.codes.tolist() == [[1]]
    (out.z_q * torch.tensor([1.0, 2.0])).sum().backward()
    torch.testing.assert_close(z.grad, torch.tensor([[[0.16, -0.12]]]))


def test_gradient_flows_to_the_encoder():
    for rotation_trick in (True, False):
        tok = MammothTok(MammothTokConfig(rotation_trick=rotation_trick))
        losses = tok.losses(torch.rand(2, 3, 32, 32) * 2 - 1)
        losses["total"].backward()
        assert tok.encoder.embed.weight.grad.abs().sum() > 0
        assert tok.quantizer.codebook.weight.grad.abs().sum() > 0


def test_usage_metric():
    assert codebook_usage(torch.tensor([[0, 0, 1], [2, 2, 2]]), 8) == 3 / 8


def test_semantic_alignment_hook_adds_a_term():
    tok = MammothTok(MammothTokConfig())
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    target = torch.randn(2, 16, 64)
    losses = tok.losses(images, semantic_target=target, semantic_weight=0.5)
    assert 0 < float(losses["semantic"].detach()) < 2
    expected = losses["recon"] + losses["vq"] + 0.5 * losses["semantic"]
    torch.testing.assert_close(losses["total"], expected)


def _shapes_images(n: int, size: int = 32) -> torch.Tensor:
    rng = random.Random(0)
    scenes = [render_scene(sample_scene(rng, 128, 128)).resize((size, size)) for _ in range(n)]
    return torch.stack([pil_to_tensor(s) for s in scenes])


@pytest.mark.slow  # long training
def test_training_on_shapes_world_lowers_reconstruction_error():
    torch.manual_seed(0)
    cfg = MammothTokConfig(
        patch_size=4, codebook_size=256, width=32, decoder_width=32, heads=2, decoder_heads=2
    )
    tok = MammothTok(cfg)
    images = _shapes_images(16)
    opt = torch.optim.AdamW(tok.parameters(), lr=2e-3, betas=(0.9, 0.95))
    with torch.no_grad():
        before = F.mse_loss(tok(images).recon, images).item()
    for _ in range(200):
        losses = tok.losses(images)
        opt.zero_grad()
        losses["total"].backward()
        opt.step()
    with torch.no_grad():
        after = F.mse_loss(tok.decode(tok.encode(images)), images).item()
    assert after < 0.5 * before, (before, after)
    assert not math.isnan(after)


def test_aimv2_encoder_from_transformers_is_pluggable():
    cfg = MammothTokConfig(
        encoder="aimv2",
        patch_size=8,
        aimv2={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
        },
    )
    tok = MammothTok(cfg)
    images = torch.rand(2, 3, 32, 48) * 2 - 1  # native resolution: any multiple of the patch
    out = tok(images)
    assert out.codes.shape == (2, 4, 6)
    assert out.features.shape == (2, 24, 32)
    out.vq_loss.backward()
    assert any(p.grad is not None for p in tok.encoder.parameters())
