"""Model presets and parameter groups as the trainer sees them.

Parameter groups (names used by the stage files' ``[optim.lr]``):

* ``mammothtok``: the visual tokenizer;
* ``experts``: generation FFN experts, the gen embedding table and the gen head;
* ``backbone``: the rest of Qwen3-VL (language model and vision tower);
* ``alignment``: caption projector and Q-Former;
* ``dit``: the diffusion transformer;
* ``vae``: the autoencoder (always frozen).
"""

from __future__ import annotations

from torch import nn

from models.config import Mammoth2Config
from models.presets import get_config
from models.tokenizer import MammothTok

GROUPS = ("mammothtok", "experts", "backbone", "alignment", "dit", "vae")
WRAPPER_PREFIXES = ("_checkpoint_wrapped_module.", "_orig_mod.", "_fsdp_wrapped_module.")
EXPERT_MARKERS = (".mlp.gen.", ".embed_tokens.gen.", "backbone.gen_head.")


def model_config(preset: str) -> Mammoth2Config:
    """The architecture of a named preset (``tiny``, ``tiny-vae``, ``mammoth2``)."""
    return get_config(preset)


def clean_name(name: str) -> str:
    """Parameter name without activation-checkpoint / compile wrapper prefixes."""
    for prefix in WRAPPER_PREFIXES:
        name = name.replace(prefix, "")
    return name


def group_of(name: str) -> str:
    name = clean_name(name)
    if any(marker in name for marker in EXPERT_MARKERS):
        return "experts"
    top = name.split(".", 1)[0]
    if top in GROUPS:
        return top
    raise ValueError(f"parameter {name} belongs to no parameter group")


def grouped_parameters(model: nn.Module) -> dict[str, list[tuple[str, nn.Parameter]]]:
    """Named parameters of every group (each parameter in exactly one).

    A bare MammothTok (the tok stage trains it alone) is named as inside the full model.
    """
    prefix = "mammothtok." if isinstance(model, MammothTok) else ""
    groups: dict[str, list[tuple[str, nn.Parameter]]] = {g: [] for g in GROUPS}
    for name, param in model.named_parameters():
        full = prefix + clean_name(name)
        groups[group_of(full)].append((full, param))
    return groups
