"""One typed configuration tree for a training run, filled from a stage file and overrides.

Precedence (lowest first): dataclass defaults < ``train/stages/<stage>.toml`` < ``--config FILE``
(TOML with the same sections) < the named CLI flags < ``--set section.field=value``. The resolved
tree is written as ``config.json`` into the run folder and into every checkpoint; on resume the
model architecture comes from the checkpoint, not from the command line.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STAGES_DIR = Path(__file__).resolve().parent / "stages"
STAGE_NAMES = ("tok", "pre1", "pre2", "sft")


@dataclass
class ModelConfig:
    """Which preset to build and which ``save_pretrained`` folder seeds its weights."""

    preset: str = "tiny"
    init: str | None = None  # e.g. the tok stage's final/ for pre1, pre1's final/ for pre2


@dataclass
class DataConfig:
    """Manifests, task mix, resolution and the token-budget packer.

    ``token_budget`` is the planned tokens of one pack (one micro-batch on one rank);
    ``max_pack_tokens`` is the hard cap on a pack's *built* tokens (planned costs of it2t
    samples are estimates, so a pack can come out longer than planned; over the cap the run
    stops with an error rather than run out of memory); samples longer than
    ``max_sample_tokens`` are skipped at planning time (counted, never silently).
    """

    manifests: list[str] = field(default_factory=list)
    task_weights: dict[str, float] = field(default_factory=dict)  # task -> weight; 0 = unused
    resolution: int = 512  # longest image side fed to the DiT / MammothTok
    token_budget: int = 4096
    max_pack_tokens: int = 4608
    max_sample_tokens: int = 4096
    buffer_size: int = 64  # best-fit window of the packer (samples)
    micro_batches: int = 1  # packs per rank per optimiser step
    mandatory_tasks: bool = True  # every pack starts with one sample of every active task
    workers: int = 2  # threads reading and tokenising samples ahead of the step
    prefetch_steps: int = 2
    images_per_micro_batch: int = 8  # tok stage: images per micro-batch


@dataclass
class OptimConfig:
    """AdamW with one learning rate per parameter group; groups absent or at 0 are frozen."""

    lr: dict[str, float] = field(default_factory=dict)
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-15
    weight_decay: float = 0.0
    clip_grad_norm: float = 1.0


@dataclass
class ScheduleConfig:
    """Linear warm-up, then ``constant`` or ``cosine`` decay to ``min_lr_ratio`` x the base lr."""

    kind: str = "constant"
    warmup_steps: int = 2000
    min_lr_ratio: float = 0.0


@dataclass
class LossConfig:
    """NTP and FM weights (1:1 in the paper), the visual-token input noise, caption dropout.

    ``caption_dropout`` is the share of t2i samples trained as the unconditional branch of
    classifier-free guidance (empty prompt, no DiT image condition; ``train/sequences.py``). Its
    default 0.1 (the reference recipe's, training_reference.md section 1.4) holds in every joint
    stage (pre1, pre2, sft: inference guides t2i from any of their checkpoints); it2i, it2t and the
    tok stage ignore it. The planner costs dropped samples exactly (``train.costs.drops_caption``).
    """

    ntp_weight: float = 1.0
    fm_weight: float = 1.0
    similarity_noise: float = 0.0  # fraction of visual-token inputs replaced by a neighbour
    noise_neighbours: int = 8
    caption_dropout: float = 0.1  # share of t2i samples trained unconditionally (CFG)


@dataclass
class CheckpointConfig:
    interval: int = 500  # steps between DCP checkpoints
    keep: int = 3  # complete checkpoints kept (older ones are purged)
    async_save: bool = True
    export_final: bool = True  # save_pretrained folder ``final/`` at the end of the run


@dataclass
class ParallelConfig:
    fsdp: str = "auto"  # "auto": FSDP2 when world > 1; "on"; "off"
    activation_checkpointing: bool = True
    bf16: str = "auto"  # "auto": bf16 autocast and bf16 FSDP params on GPU only; "on"; "off"
    reshard_after_forward: bool = True  # True is ZeRO-3 (FULL_SHARD)


@dataclass
class LogConfig:
    every: int = 1
    tensorboard: bool = True  # used when the tensorboard package is importable
    progress: bool = True


@dataclass
class TrainConfig:
    stage: str = "pre1"
    out: str = "ckpt"
    steps: int = 1000
    seed: int = 0
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    parallel: ParallelConfig = field(default_factory=ParallelConfig)
    log: LogConfig = field(default_factory=LogConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def stage_config(stage: str) -> TrainConfig:
    """Defaults overlaid with ``train/stages/<stage>.toml``."""
    if stage not in STAGE_NAMES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGE_NAMES)}")
    cfg = TrainConfig(stage=stage)
    return merge(cfg, load_toml(STAGES_DIR / f"{stage}.toml"))


def load_toml(path: str | Path) -> dict[str, Any]:
    with open(path, "rb") as f:
        return tomllib.load(f)


def merge(cfg: Any, data: dict[str, Any], where: str = "") -> Any:
    """Overlay a nested dict onto a dataclass tree; returns ``cfg``.

    Unknown keys are errors. Dict fields (learning rates, task weights) are updated entry by
    entry, so their defaults are empty and a stage file lists every entry it wants.
    """
    hints = typing.get_type_hints(type(cfg))
    for key, value in data.items():
        name = f"{where}{key}"
        if key not in hints:
            raise ValueError(f"unknown config field {name!r}")
        current = getattr(cfg, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"{name} is a section; give a table, not {value!r}")
            merge(current, value, f"{name}.")
        elif isinstance(current, dict):  # dict fields are updated entry by entry
            current.update(_coerce(hints[key], value, name))
        else:
            setattr(cfg, key, _coerce(hints[key], value, name))
    return cfg


def apply_override(cfg: TrainConfig, assignment: str) -> None:
    """``section.field=value``; ``optim.lr.dit=1e-4`` sets one entry of a dict field.

    Values parse as JSON (numbers, booleans, lists, objects) and otherwise stay strings.
    """
    if "=" not in assignment:
        raise ValueError(f"--set {assignment!r}: expected KEY=VALUE")
    key, raw = assignment.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    nested: Any = value
    for part in reversed(key.strip().split(".")):
        nested = {part: nested}
    merge(cfg, nested)


def _coerce(hint: Any, value: Any, name: str) -> Any:
    """Check/convert a value against a field type (TOML and JSON give lists for tuples)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        origin = typing.get_origin(hint)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and isinstance(value, hint):
        return value
    if origin is tuple and isinstance(value, list | tuple):
        return tuple(value)
    if origin is list and isinstance(value, list | tuple):
        return list(value)
    if origin is list and isinstance(value, str):
        return [value]
    if origin is dict and isinstance(value, dict):
        value_type = typing.get_args(hint)[1]
        return {k: _coerce(value_type, v, f"{name}.{k}") for k, v in value.items()}
    raise ValueError(f"config field {name}: {value!r} is not a {hint}")


def from_dict(data: dict[str, Any]) -> TrainConfig:
    """Rebuild a saved ``config.json``."""
    return merge(TrainConfig(), data)


def save(cfg: TrainConfig, path: Path) -> None:
    save_json(cfg.to_dict(), path)


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def save_json(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
