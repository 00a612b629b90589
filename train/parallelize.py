"""Parallelism applied to a finished model: activation checkpointing, then FSDP2.

torchtitan's order (training_reference.md section 4.1): the model is built on the meta device,
blocks are wrapped for activation checkpointing, every block becomes its own ``fully_shard``
unit, then the root; afterwards the caller materialises it with ``to_empty`` and loads weights
broadcast from rank 0. Model code never imports anything from here.

Blocks are the entries of the model's transformer ``ModuleList``s (backbone decoder layers,
vision blocks, DiT refiners and layers, Q-Former layers, MammothTok ViT blocks). Frozen parts
that the data path uses on every rank (MammothTok and the VAE in the joint stages) are left out
of sharding (``ignored_params``) and stay replicated.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import (
    CheckpointImpl,
    checkpoint_wrapper,
)
from torch.distributed.device_mesh import DeviceMesh
from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

BLOCK_LISTS = (
    "backbone.qwen.model.language_model.layers",
    "backbone.qwen.model.visual.blocks",
    "alignment.qformer.layers",
    "dit.context_refiner",
    "dit.noise_refiner",
    "dit.ref_refiner",
    "dit.layers",
    "encoder.stack.blocks",  # a bare MammothTok (tok stage)
    "decoder.stack.blocks",
)
REPLICATED = ("mammothtok", "vae")  # frozen in joint stages, used outside the root forward


def block_lists(model: nn.Module) -> list[nn.ModuleList]:
    """The transformer block lists of ``model`` (paths that do not exist are skipped)."""
    found = []
    for path in BLOCK_LISTS:
        module: nn.Module | None = model
        for part in path.split("."):
            module = getattr(module, part, None)
            if module is None:
                break
        if isinstance(module, nn.ModuleList):
            found.append(module)
    return found


def apply_activation_checkpointing(model: nn.Module) -> None:
    """Wrap every block (non-reentrant); no randomness is drawn inside blocks."""
    for blocks in block_lists(model):
        for i, block in enumerate(blocks):
            blocks[i] = checkpoint_wrapper(
                block, checkpoint_impl=CheckpointImpl.NO_REENTRANT, preserve_rng_state=False
            )


def apply_fsdp(
    model: nn.Module,
    mesh: DeviceMesh,
    param_dtype: torch.dtype | None,
    reshard_after_forward: bool = True,
) -> None:
    """``fully_shard`` per block, then the root; gradients are summed, not averaged.

    The trainer normalises every loss by global token/sample counts, so FSDP's default division
    by the world size is switched off (``set_gradient_divide_factor(1.0)``), with a plain SUM
    reduce-scatter (gloo has no PREMUL_SUM).
    """
    policy = MixedPrecisionPolicy(param_dtype=param_dtype, reduce_dtype=torch.float32)
    for blocks in block_lists(model):
        for block in blocks:
            fully_shard(
                block, mesh=mesh, mp_policy=policy, reshard_after_forward=reshard_after_forward
            )
    ignored = {
        p for name in REPLICATED if hasattr(model, name) for p in getattr(model, name).parameters()
    }
    fully_shard(
        model,
        mesh=mesh,
        mp_policy=policy,
        reshard_after_forward=reshard_after_forward,
        ignored_params=ignored or None,
    )
    for module in model.modules():
        if hasattr(module, "set_gradient_divide_factor"):
            module.set_gradient_divide_factor(1.0)
            module.set_force_sum_reduction_for_comms(True)  # gloo has no PREMUL_SUM
