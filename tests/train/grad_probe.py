"""Run under torchrun: gradients of the third step of a tiny pre2 run; rank 0 saves them.

Two full steps first: the DiT's zero-initialised output and gates pass no gradient upstream
until they have moved, so step 3 is the first where every trained group has a gradient.

Usage: torchrun --nproc_per_node N tests/train/grad_probe.py MANIFEST OUT MICRO GRADS.safetensors
"""

from __future__ import annotations

import sys
from pathlib import Path

from runs import CAPTION_DROPOUT, tiny_config
from safetensors.torch import save_file

from train.dist import init_distributed, shutdown
from train.model import clean_name
from train.trainer import backward_step, setup, train_step

PROBE_STEP = 3


def main(manifest: str, out: str, micro: str, grads_path: str) -> None:
    dist = init_distributed()
    extra = (f"data.micro_batches={micro}", "parallel.fsdp=on", "checkpoint.export_final=false")
    extra += (CAPTION_DROPOUT,)  # dropped samples must be the same ones in both rank layouts
    run = setup(tiny_config("pre2", Path(manifest), Path(out), PROBE_STEP, *extra), dist)
    for _ in range(PROBE_STEP - 1):
        train_step(run, run.loader.next())
    backward_step(run, run.loader.next())
    grads = {}
    for name, param in run.module.named_parameters():
        if param.grad is not None:
            grad = param.grad.full_tensor() if hasattr(param.grad, "full_tensor") else param.grad
            grads[clean_name(name)] = grad.detach().contiguous()
    if dist.is_main:
        save_file(grads, grads_path)
    run.loader.close()
    shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:5])
