"""ImgEdit-Bench items and judge prompts (``Basic/basic_edit.json``, ``prompts.json``, UGE)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evaluation.errors import BadInput
from evaluation.jsonl import read_json

PLACEHOLDER = "<edit_prompt>"  # replaced by the item's instruction in the judge prompt (spec 3.2)
# Reported columns in the paper's order; compose is reported as Hybrid (spec 3.3).
TYPE_COLUMNS: dict[str, str] = {
    "add": "Add",
    "adjust": "Adjust",
    "extract": "Extract",
    "replace": "Replace",
    "remove": "Remove",
    "background": "Background",
    "style": "Style",
    "compose": "Hybrid",
    "action": "Action",
}


@dataclass(frozen=True)
class EditItem:
    key: str
    image: str  # source image path relative to the benchmark image root
    instruction: str
    edit_type: str | None  # None for the UGE suite


def _load_json_dict(path: Path) -> dict:
    return read_json(path, dict, "a JSON object keyed by item id")


def load_items(path: str | Path, with_type: bool = True) -> list[EditItem]:
    """Items of ``basic_edit.json`` (``with_type``) or ``UGE_edit.json``, in file order."""
    path = Path(path)
    items = []
    for key, value in _load_json_dict(path).items():
        try:
            edit_type = value["edit_type"] if with_type else None
            items.append(EditItem(str(key), value["id"], value["prompt"], edit_type))
        except (KeyError, TypeError) as e:
            raise BadInput(path, key, f"missing field {e}") from None
        if with_type and edit_type not in TYPE_COLUMNS:
            raise BadInput(path, key, f"unknown edit_type {edit_type!r}")
    return items


def load_prompts(path: str | Path) -> dict[str, str]:
    """edit_type -> judge prompt template; each must contain the placeholder."""
    path = Path(path)
    prompts = _load_json_dict(path)
    for edit_type, template in prompts.items():
        if PLACEHOLDER not in template:
            raise BadInput(path, edit_type, f"template lacks {PLACEHOLDER}")
    return prompts


def judge_text(template: str, instruction: str) -> str:
    """The text part of the judge request (followed by the original and the edited image)."""
    return template.replace(PLACEHOLDER, instruction)
