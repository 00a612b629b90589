"""``save_pretrained`` / ``from_pretrained`` folders: config.json + safetensors (+ tokenizer/).

Weights are split into shards of at most ``MAX_SHARD_BYTES`` with a
``model.safetensors.index.json`` weight map (the transformers layout), so paper-size checkpoints
stay within filesystem and hub limits. Loading builds the model on the meta device, materialises
it with ``to_empty`` and fills every parameter and persistent buffer from the files (strict);
non-persistent buffers (rotary tables) are recomputed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from safetensors.torch import load_file, save_file

from models.config import Mammoth2Config

if TYPE_CHECKING:
    from models.mammoth2 import Mammoth2

CONFIG_NAME = "config.json"
INDEX_NAME = "model.safetensors.index.json"
TOKENIZER_DIR = "tokenizer"
MAX_SHARD_BYTES = 5 * 1024**3


def save_pretrained(model: Mammoth2, path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    config = model.config.to_dict()
    if model.config.text_tokenizer.kind == "hf" and model._text_tokenizer is not None:
        model.text_tokenizer.tok.save_pretrained(path / TOKENIZER_DIR)
        config["text_tokenizer"]["path"] = TOKENIZER_DIR
    (path / CONFIG_NAME).write_text(json.dumps(config, indent=2))
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    shards = _shard(state)
    weight_map = {}
    for i, shard in enumerate(shards):
        name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, str(path / name), metadata={"format": "pt"})
        weight_map |= dict.fromkeys(shard, name)
    (path / INDEX_NAME).write_text(json.dumps({"weight_map": weight_map}, indent=2, sort_keys=True))
    return path


def _shard(state: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
    shards, current, size = [], {}, 0
    for key, tensor in state.items():
        nbytes = tensor.numel() * tensor.element_size()
        if current and size + nbytes > MAX_SHARD_BYTES:
            shards.append(current)
            current, size = {}, 0
        current[key] = tensor
        size += nbytes
    return [*shards, current]


def read_config(path: Path) -> Mammoth2Config:
    data = json.loads((path / CONFIG_NAME).read_text())
    tok_path = data.get("text_tokenizer", {}).get("path")
    if tok_path and not Path(tok_path).is_absolute() and (path / tok_path).exists():
        data["text_tokenizer"]["path"] = str(path / tok_path)
    return Mammoth2Config.from_dict(data)


def load_state(path: Path) -> dict[str, torch.Tensor]:
    index = json.loads((path / INDEX_NAME).read_text())
    state: dict[str, torch.Tensor] = {}
    for name in sorted(set(index["weight_map"].values())):
        state |= load_file(str(path / name))
    return state


def load_pretrained(
    cls, path: Path, device: str | torch.device = "cpu", dtype: torch.dtype | None = None
) -> Mammoth2:
    if not (path / CONFIG_NAME).exists():
        raise FileNotFoundError(f"{path}: no {CONFIG_NAME}; not a Mammoth2 checkpoint folder")
    config = read_config(path)
    config.backbone.pretrained = None  # weights come from this folder, not from Qwen3-VL
    with torch.device("meta"):
        model = cls(config)
    model.to_empty(device=device)
    model.backbone.reset_buffers()
    missing, unexpected = model.load_state_dict(load_state(path), strict=False)
    if missing or unexpected:
        raise RuntimeError(
            f"{path}: checkpoint does not match its config: "
            f"missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    if dtype is not None:
        model.to(dtype)
    return model.eval()
