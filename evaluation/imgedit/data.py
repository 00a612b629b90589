"""ImgEdit-Bench items and judge prompts (``Basic/basic_edit.json``, ``prompts.json``, UGE)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evaluation.benchmark_data import BenchmarkFile
from evaluation.errors import BadInput
from evaluation.jsonl import read_json

PLACEHOLDER = "<edit_prompt>"  # replaced by the item's instruction in the judge prompt (spec 3.2)
# The official UGE prompt is not available (spec 3.5): this file holds our wording of it.
UGE_PROMPT = Path(__file__).with_name("uge_prompt.json")
UGE_PROMPT_KEY = "prompt"  # the template's key in a UGE prompt file; other keys are notes
# The official item and prompt files, bundled (licence unspecified upstream; data/ATTRIBUTION.md).
DATA = Path(__file__).with_name("data")
BASIC_ITEMS = BenchmarkFile(
    "ImgEdit Basic items (basic_edit.json)",
    "imgedit/Basic/basic_edit.json",
    DATA / "Basic" / "basic_edit.json",
)
BASIC_PROMPTS = BenchmarkFile(
    "ImgEdit judge prompts (prompts.json)",
    "imgedit/Basic/prompts.json",
    DATA / "Basic" / "prompts.json",
    flag="--prompts",
)
UGE_ITEMS = BenchmarkFile(
    "ImgEdit UGE items (UGE_edit.json)", "imgedit/UGE/UGE_edit.json", DATA / "UGE" / "UGE_edit.json"
)
UGE_PROMPTS = BenchmarkFile(
    "ImgEdit UGE judge prompt", "imgedit/UGE/uge_prompt.json", UGE_PROMPT, flag="--prompts"
)
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


def _check_template(path: Path, name: str, template: object) -> None:
    if not isinstance(template, str) or PLACEHOLDER not in template:
        raise BadInput(path, name, f"template lacks {PLACEHOLDER}")


def load_prompts(path: str | Path) -> dict[str, str]:
    """edit_type -> judge prompt template; each must contain the placeholder."""
    path = Path(path)
    prompts = _load_json_dict(path)
    for edit_type, template in prompts.items():
        _check_template(path, edit_type, template)
    return prompts


def load_uge_prompt(path: str | Path) -> dict[None, str]:
    """The UGE judge template (``"prompt"`` of a JSON object), keyed by the UGE items'
    edit_type (None) so both suites look templates up the same way."""
    path = Path(path)
    template = _load_json_dict(path).get(UGE_PROMPT_KEY)
    _check_template(path, UGE_PROMPT_KEY, template)
    return {None: template}


def judge_text(template: str, instruction: str) -> str:
    """The text part of the judge request (followed by the original and the edited image)."""
    return template.replace(PLACEHOLDER, instruction)
