from itertools import pairwise

import torch

from models.__main__ import main
from models.mammoth2 import Mammoth2
from models.presets import PRESETS, get_config, parameter_table

BILLION = 1e9


def _meta_model(name: str) -> Mammoth2:
    cfg = get_config(name)
    cfg.backbone.pretrained = None
    with torch.device("meta"):
        return Mammoth2(cfg)


def test_mammoth2_preset_on_meta_matches_paper_sizes(capsys):
    table = parameter_table(_meta_model("mammoth2"))
    backbone = table["backbone: Qwen3-VL language model"] + table["backbone: Qwen3-VL vision"]
    experts = table["generation experts"]
    dit = table["DiT"] + table["alignment (text proj + Q-Former)"]
    assert 8.6 * BILLION < backbone < 8.9 * BILLION  # Qwen3-VL-8B: 8.77B
    assert 3.0 * BILLION < experts < 3.5 * BILLION  # "3B gen experts"
    assert 1.9 * BILLION < dit < 2.4 * BILLION  # "2B DiT" (Q-Former lives in the DiT upstream)
    assert 12.5 * BILLION < backbone + experts + dit < 14.5 * BILLION
    assert main(["params", "mammoth2"]) == 0
    printed = capsys.readouterr().out
    assert "generation experts" in printed and "total" in printed


def test_every_preset_builds_on_meta():
    for name in PRESETS:
        assert sum(parameter_table(_meta_model(name)).values()) > 0


def test_meta_init_then_to_empty_and_init_weights_gives_a_working_model():
    model = _meta_model("tiny")
    model.to_empty(device="cpu")
    model.init_weights()
    reference = Mammoth2(get_config("tiny"))
    for (name, a), (_, b) in zip(model.named_buffers(), reference.named_buffers(), strict=True):
        assert torch.equal(a, b), name
    sample = model.t2i_sample("a blue square", torch.rand(3, 64, 64) * 2 - 1)
    out = model(model.collate([sample]))
    assert torch.isfinite(out.loss())
    cond = [torch.randn(4, model.config.dit.hidden)]
    dit_out = model.dit([torch.randn(3, 64, 64)], torch.tensor([0.5]), cond)[0]
    assert torch.count_nonzero(dit_out) == 0  # zero-init DiT output


def test_tiny_training_steps_on_64px_images_lower_both_losses_of_their_batch():
    """AdamW steps on one batch of 64 px t2i samples, the same FM noise and times each step:
    NTP and FM losses fall every step. Their speed is ``python -m bench.models`` [3] (a ratio to
    a reference matmul in the same run: wall-clock bounds fail on shared machines)."""
    model = Mammoth2(get_config("tiny"))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    image = torch.rand(3, 64, 64) * 2 - 1
    batch = model.collate([model.t2i_sample(f"prompt {i}", image) for i in range(4)])
    losses = []
    for _ in range(4):
        out = model(batch, torch.Generator().manual_seed(0))
        losses.append((out.ntp_loss_sum.item() / out.ntp_tokens, out.fm_loss_sum.item()))
        opt.zero_grad()
        out.loss().backward()
        opt.step()
    assert all(b[0] < a[0] and b[1] < a[1] for a, b in pairwise(losses)), losses
