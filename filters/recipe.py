"""Recipes: safe-loaded YAML naming an ordered list of operator steps with their parameters.

```yaml
name: demo
description: what this recipe is for
steps:
  - op: resolution
    min_side: 64
  - op: dedup
  - op: vlm_score          # several steps may use one operator under different names
    name: vlm_alignment
    judge: transformers:/models/Qwen2.5-VL-7B-Instruct
```

A step's `name` (default: the operator name) prefixes its stats columns, so names are unique
plain ASCII. Unknown keys are errors with a "did you mean". The recipe splits into stages after
each dataset-level (`is_global`) operator: the runner maps one stage over all shards, resolves
the global step, then maps the next.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from filters.operator import ANY_OR_ALL, Operator, get_operator

STEP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TYPE_NAMES = {"int": int, "float": (int, float), "str": str, "bool": bool, "list": list}
# Operators that must not run before a given operator (re-scoring must happen after pairing).
MUST_FOLLOW = {"edit_pairing": ("vlm_score",)}


class RecipeError(ValueError):
    """A recipe is malformed; the message names the file and the step."""


@dataclass(frozen=True)
class Step:
    name: str
    op: str
    params: Any

    def build(self) -> Operator:
        return get_operator(self.op)(self.params, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, **dataclasses.asdict(self.params)}


@dataclass(frozen=True)
class Recipe:
    name: str
    steps: tuple[Step, ...]
    description: str = ""
    path: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise RecipeError(f"recipe {self.name}: no step {name!r} ({[s.name for s in self.steps]})")

    def stages(self) -> list[list[Step]]:
        """Steps split after every dataset-level operator."""
        stages: list[list[Step]] = [[]]
        for s in self.steps:
            stages[-1].append(s)
            if get_operator(s.op).is_global:
                stages.append([])
        return [st for st in stages if st]

    def to_dict(self) -> dict[str, Any]:
        steps = [s.to_dict() for s in self.steps]
        return {"name": self.name, "description": self.description, "steps": steps}

    def digest(self) -> str:
        """Hash of the resolved recipe (names, ops, every parameter)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def load_recipe(path: str | Path) -> Recipe:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise RecipeError(f"{path}: invalid YAML ({e})") from None
    return parse_recipe(data, str(path))


def parse_recipe(data: Any, where: str = "<recipe>") -> Recipe:
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data["steps"]:
        raise RecipeError(f"{where}: expected a mapping with a non-empty list `steps`")
    unknown = set(data) - {"name", "description", "steps"}
    if unknown:
        raise RecipeError(f"{where}: unknown top-level keys {sorted(unknown)}")
    steps = [_parse_step(raw, f"{where} step {i + 1}") for i, raw in enumerate(data["steps"])]
    names = [s.name for s in steps]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RecipeError(f"{where}: step names must be unique; repeated: {dupes} (set `name:`)")
    _check_order(steps, where)
    name = str(data.get("name") or Path(where).stem)
    return Recipe(name, tuple(steps), str(data.get("description", "")), where)


def _parse_step(raw: Any, where: str) -> Step:
    if not isinstance(raw, dict) or "op" not in raw:
        raise RecipeError(f"{where}: expected a mapping with `op`")
    values = dict(raw)
    op_name, name = values.pop("op"), values.pop("name", None) or raw["op"]
    try:
        op = get_operator(op_name)
    except KeyError as e:
        raise RecipeError(f"{where}: {e.args[0]}") from None
    if not STEP_NAME.match(name):
        raise RecipeError(f"{where}: step name {name!r} must match {STEP_NAME.pattern}")
    return Step(name, op_name, make_params(op.Params, values, f"{where} ({op_name})"))


def _check_order(steps: list[Step], where: str) -> None:
    for i, s in enumerate(steps):
        for before in MUST_FOLLOW.get(s.op, ()):
            if any(t.op == before for t in steps[:i]):
                raise RecipeError(
                    f"{where}: {before} must come after {s.op}, so that the samples {s.op} "
                    "creates are scored themselves instead of inheriting a score"
                )


def make_params(cls: type, values: dict[str, Any], where: str) -> Any:
    """The `cls` dataclass from a mapping, type-checked against its annotations."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in values.items():
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise RecipeError(f"{where}: unknown parameter {key!r}{hint} (known: {list(fields)})")
        values[key] = check_type(fields[key], value, f"{where}: {key}")
    return cls(**values)


def check_type(f: dataclasses.Field, value: Any, where: str) -> Any:
    """Check a YAML value against a field annotation such as `float | None` or `list[str]`."""
    annotation = str(f.type)
    if value is None:
        if "None" not in annotation:
            raise RecipeError(f"{where}: may not be null ({annotation})")
        return None
    if f.name == "any_or_all" and value not in ANY_OR_ALL:
        raise RecipeError(f"{where}: must be one of {ANY_OR_ALL}, not {value!r}")
    allowed = [t for name, t in TYPE_NAMES.items() if re.search(rf"\b{name}\b", annotation)]
    if "dict" in annotation:
        allowed.append(dict)
    ok = any(isinstance(value, t) for t in allowed) and not (
        isinstance(value, bool) and bool not in allowed
    )
    if not ok:
        raise RecipeError(f"{where}: expected {annotation}, got {value!r}")
    return float(value) if "float" in annotation and "int" not in annotation else value


def with_overrides(recipe: Recipe, sets: list[str]) -> Recipe:
    """A copy with `STEP.PARAM=VALUE` overrides (values are YAML); measurement params refused."""
    steps = {s.name: s for s in recipe.steps}
    for item in sets:
        target, sep, raw = item.partition("=")
        step_name, dot, key = target.partition(".")
        if not sep or not dot:
            raise RecipeError(f"--set {item!r}: expected STEP.PARAM=VALUE")
        step = recipe.step(step_name)
        fields = {f.name: f for f in dataclasses.fields(step.params)}
        if key in fields and fields[key].metadata.get("measure"):
            raise RecipeError(
                f"--set {item!r}: {key} changes what {step.op} measures; "
                "rerun `filters run` instead of `apply`"
            )
        values = {**dataclasses.asdict(steps[step_name].params), key: yaml.safe_load(raw)}
        params = make_params(type(step.params), values, f"--set {item}")
        steps[step_name] = Step(step.name, step.op, params)
    return dataclasses.replace(recipe, steps=tuple(steps[s.name] for s in recipe.steps))
