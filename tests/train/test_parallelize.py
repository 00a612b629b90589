"""Activation checkpointing as the trainer applies it: blocks recompute, gradients stay the same."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import torch
from grad_probe import PROBE_STEP
from runs import tiny_config

from train.dist import init_distributed
from train.model import clean_name, group_of
from train.parallelize import block_lists
from train.trainer import backward_step, setup, train_step

RUN_IN_PRE2 = {  # block lists a pre2 step runs, all trained (no understanding image: no ViT)
    "backbone.qwen.model.language_model.layers",
    "alignment.qformer.layers",
    "dit.context_refiner",
    "dit.noise_refiner",
    "dit.ref_refiner",
    "dit.layers",
}


def _blocks(module: torch.nn.Module) -> dict[str, torch.nn.Module]:
    """Every block by its name, unwrapped: the module a recompute runs again."""
    names = {m: n for n, m in module.named_modules()}
    return {
        names[block]: getattr(block, "_checkpoint_wrapped_module", block)
        for blocks in block_lists(module)
        for block in blocks
    }


def _probe_step(curated: Path, out: Path, checkpointing: bool) -> tuple[dict, Counter]:
    """Gradients of step ``PROBE_STEP`` of a tiny pre2 run built by the trainer, and how often
    each block ran during that step's forward and backward."""
    flag = f"parallel.activation_checkpointing={str(checkpointing).lower()}"
    run = setup(tiny_config("pre2", curated, out, PROBE_STEP, flag), init_distributed())
    try:
        for _ in range(PROBE_STEP - 1):
            train_step(run, run.loader.next())
        calls: Counter = Counter()  # pre-hooks: a recompute stops once it has what it needs
        for name, block in _blocks(run.module).items():
            block.register_forward_pre_hook(lambda *_, name=name: calls.update([name]))
        backward_step(run, run.loader.next())
    finally:
        run.loader.close()
        run.log.close()
    grads = {clean_name(n): p.grad for n, p in run.module.named_parameters() if p.grad is not None}
    return grads, calls


def test_trainer_checkpointing_recomputes_trained_blocks_and_leaves_gradients_unchanged(
    curated, tmp_path
):
    """With ``parallel.activation_checkpointing`` (train/parallelize.py) every trained block
    runs again in the backward pass, and the gradients are those of the plain model."""
    plain, plain_calls = _probe_step(curated, tmp_path / "plain", checkpointing=False)
    checkpointed, calls = _probe_step(curated, tmp_path / "checkpointed", checkpointing=True)
    assert {name.rsplit(".", 1)[0] for name in plain_calls} == RUN_IN_PRE2
    assert calls == Counter({name: 2 * count for name, count in plain_calls.items()})
    assert set(checkpointed) == set(plain)
    nonzero = {group_of(name) for name, grad in plain.items() if grad.abs().sum() > 0}
    assert nonzero == {"experts", "alignment", "dit"}  # step 3: every trained group has one
    for name, grad in plain.items():
        torch.testing.assert_close(checkpointed[name], grad, atol=1e-6, rtol=0, msg=name)
