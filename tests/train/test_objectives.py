"""The trainer's joint loss on a fixed batch, worked out by hand from the model's raw outputs."""

from __future__ import annotations

import copy

import torch
from runs import tiny_config

from models.config import IGNORE_INDEX
from tests.models.conftest import randomize_zero_init
from train.data import build_joint_data
from train.objectives import JointObjective

NTP_WEIGHT, FM_WEIGHT = 0.7, 1.3  # unequal, so a swapped or dropped weight shows
MICRO_BATCHES = 2  # the loss of one divides by the counts of both


def _capture(model: torch.nn.Module) -> dict:
    """The batch, the backbone's last hidden states and the DiT's inputs and outputs of the next
    forward."""
    seen: dict = {}
    model.register_forward_pre_hook(lambda _, args: seen.update(batch=args[0]))
    model.backbone.register_forward_hook(lambda *a: seen.update(h=a[2].last_hidden_state))
    model.dit.register_forward_hook(lambda _, args, out: seen.update(dit=(args[0], args[1], out)))
    return seen


def _cross_entropy_sum(h_ND: torch.Tensor, weight_VD: torch.Tensor, targets_N: torch.Tensor):
    logits = h_ND.float() @ weight_VD.float().T
    return (logits.logsumexp(-1) - logits.gather(1, targets_N[:, None])[:, 0]).sum()


def test_joint_loss_is_weighted_cross_entropy_plus_flow_matching_mse_over_global_counts(
    curated, tiny, tmp_path
):
    """NTP: the summed cross-entropy of the text head (text targets) and the gen head (generation
    ids, shifted by ``gen_vocab_start``). FM (tiny: pixel space, the DiT predicts the image x1 at
    ``x_t = t x1 + (1 - t) x0``): the velocity error ``(x1_hat - x1) / (1 - t)``, squared and
    averaged per sample, summed. Each divided by its count over the whole step, then weighted."""
    torch.manual_seed(0)
    model = copy.deepcopy(tiny)
    randomize_zero_init(model)  # a zero DiT output would hide half of the FM term
    extra = (f"loss.ntp_weight={NTP_WEIGHT}", f"loss.fm_weight={FM_WEIGHT}")
    extra += (f"data.micro_batches={MICRO_BATCHES}", "data.workers=0")
    cfg = tiny_config("pre2", curated, tmp_path, 1, *extra)
    loader = build_joint_data(cfg, model, rank=0, world=1)
    micro = loader.next().micro
    loader.close()
    samples = [s for m in micro for s in m.samples]
    ntp_count = sum(int((s.targets != IGNORE_INDEX).sum()) for s in samples)
    fm_count = sum(s.image is not None for s in samples)
    seen = _capture(model)
    with torch.no_grad():
        loss, metrics = JointObjective().loss(model, micro[0], [ntp_count, fm_count], cfg, 0)

    backbone, gen_start = model.backbone, model.layout.gen_start
    assert backbone.qwen.lm_head.bias is None and backbone.gen_head.bias is None
    h, targets = seen["h"].reshape(-1, seen["h"].shape[-1]), seen["batch"].targets.reshape(-1)
    text = (targets != IGNORE_INDEX) & (targets < gen_start)
    gen = targets >= gen_start
    ntp = _cross_entropy_sum(h[text], backbone.qwen.lm_head.weight, targets[text])
    ntp += _cross_entropy_sum(h[gen], backbone.gen_head.weight, targets[gen] - gen_start)
    assert model.vae.kl is None and model.config.flow.prediction == "data"
    _, t, x1_hat = seen["dit"]
    x1 = [s.image for s in micro[0].samples if s.image is not None]
    assert len(x1) == len(x1_hat) > 0 and (t < 0.95).all()  # 1 - t above the DiT's clip
    fm = sum((p - x).pow(2).mean() / (1 - ti) ** 2 for p, x, ti in zip(x1_hat, x1, t, strict=True))
    expected_ntp, expected_fm = ntp / ntp_count, fm / fm_count
    torch.testing.assert_close(metrics["ntp"], expected_ntp, rtol=1e-5, atol=0)
    torch.testing.assert_close(metrics["fm"], expected_fm, rtol=1e-5, atol=0)
    expected = NTP_WEIGHT * expected_ntp + FM_WEIGHT * expected_fm
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=0)
