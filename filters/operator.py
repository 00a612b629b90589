"""The operator contract: `measure` (stats in raw, documented units) then `decide` (keep or why).

An operator has a plain-ASCII `name` (it prefixes stats keys), a `version`, a `Params` dataclass
whose defaults run, a `STATS` table (name -> unit and meaning) and the Python modules it needs.
The base class owns batching, timing, per-sample error capture and the counters, so an operator
file holds only what it measures and how it thresholds. `decide` reads nothing but the stats and
the params: that is what lets `filters apply` re-decide from stored stats without any model.

Image operators measure each image and combine the per-image decisions with `any_or_all`
(`all`: every image must pass; `any`: one is enough); samples without images are kept.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from corpus.schema import Image, Sample
from filters.stats import ERROR_REASON, StepStats

Verdict = tuple[str, str] | None  # None keeps; (reason, human detail) drops
DTYPES = ("float", "int", "str", "bool", "floats")
ANY_OR_ALL = ("any", "all")
ERROR_DETAIL_CHARS = 300
ERROR_KEY = "error"  # reserved stats key: why measuring the sample raised
NOT_MEASURED = "not_measured"


@dataclass(frozen=True)
class Stat:
    """One measured quantity: its unit and meaning (shown by `filters list`)."""

    unit: str
    doc: str
    dtype: str = "float"  # one of DTYPES; "floats" is a vector such as a distribution
    per_image: bool = False  # a list with one value per image (in image order)
    resolved: bool = False  # filled by the operator's dataset-level `resolve`, not `measure`


def image_stat(unit: str, doc: str, dtype: str = "float") -> Stat:
    return Stat(unit, doc, dtype, per_image=True)


def measure_param(default: Any, doc: str = "") -> Any:
    """A parameter that changes the stats (a model, a hash size): `apply` may not change it."""
    return _field(default, {"measure": True, "doc": doc})


def param(default: Any, doc: str = "") -> Any:
    """A decision parameter (a threshold): `filters apply` can change it from stored stats."""
    return _field(default, {"doc": doc})


def _field(default: Any, metadata: dict[str, Any]) -> Any:
    if isinstance(default, list | dict):  # mutable defaults are copied per instance
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass
class NoParams:
    pass


class Operator:
    """Base class: subclasses set the class attributes and implement `measure` and `decide`."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    doc: ClassVar[str] = ""
    Params: ClassVar[type] = NoParams
    STATS: ClassVar[dict[str, Stat]] = {}
    requires: ClassVar[tuple[str, ...]] = ()  # importable modules the operator needs
    per_image: ClassVar[bool] = False
    is_global: ClassVar[bool] = False  # decisions need every sample (implements `resolve`)
    emits: ClassVar[bool] = False  # may add new samples (implements `emit`)
    batch_size: ClassVar[int] = 1  # samples per `measure_batch` call

    def __init__(self, params: Any = None, step: str | None = None) -> None:
        self.params = params if params is not None else self.Params()
        self.step = step or self.name
        self.counters = StepStats(self.step, self.name)

    # -- what subclasses implement -------------------------------------------------------------
    def setup(self) -> None:
        """Load models or indexes; called once before the first measurement."""

    def measure(self, sample: Sample) -> dict[str, Any]:
        raise NotImplementedError

    def measure_batch(self, samples: Sequence[Sample]) -> list[dict[str, Any]]:
        return [self.measure(s) for s in samples]

    def decide(self, stats: dict[str, Any]) -> Verdict:
        return None

    def emit(self, sample: Sample, stats: dict[str, Any]) -> list[Sample]:
        """New samples made from a kept sample (only for `emits` operators)."""
        return []

    def resolve(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Dataset-level stats (only for `is_global` operators).

        `rows` are the samples that reached the step, in canonical order, each with `id` and
        this step's measured stats; the result gives each row its `resolved` stats.
        """
        raise NotImplementedError

    def annotate(self, sample: Sample, stats: dict[str, Any]) -> None:
        """Write what the step produced into a kept sample's fields when it is materialized
        (cot_annotate fills `cot`); measurements go to `sample.stats` without this."""

    def applies(self, sample: Sample) -> bool:
        """Whether the operator looks at this sample at all (others pass through unmeasured)."""
        return True

    def describe(self) -> dict[str, Any]:
        """Identity recorded in the lineage: name, version, params, model ids and hashes."""
        return {"op": self.name, "version": self.version, "params": dataclasses.asdict(self.params)}

    # -- what the base class does --------------------------------------------------------------
    def run_measure(self, samples: Sequence[Sample]) -> list[dict[str, Any]]:
        """Stats for every sample, batched; a failing sample gets `error` instead of stats."""
        out: list[dict[str, Any]] = []
        start = time.perf_counter()
        for i in range(0, len(samples), max(1, self.batch_size)):
            out += self._measure_guarded(samples[i : i + max(1, self.batch_size)])
        self.counters.time_s += time.perf_counter() - start
        self.counters.measured += len(samples)
        return out

    def _measure_guarded(self, batch: Sequence[Sample]) -> list[dict[str, Any]]:
        try:
            return self.measure_batch(batch)
        except Exception:
            if len(batch) == 1:
                return [{ERROR_KEY: _error_text(batch[0])}]
        results = []
        for sample in batch:  # find the culprit: measure the batch one by one
            try:
                results += self.measure_batch([sample])
            except Exception:
                results.append({ERROR_KEY: _error_text(sample)})
        return results

    def judge(self, stats: dict[str, Any]) -> Verdict:
        """The decision for one sample's stats, counted; errors drop with reason `error`."""
        if stats.get(ERROR_KEY):
            verdict: Verdict = (ERROR_REASON, stats[ERROR_KEY])
        else:
            verdict = self.decide(stats)
        self.counters.count(verdict[0] if verdict else None)
        return verdict

    def pass_through(self) -> Verdict:
        """A sample the operator does not apply to (`applies` is false) is kept, and counted."""
        self.counters.count(None)
        return None

    def not_measured(self) -> Verdict:
        """A sample that reaches the step only under new thresholds has no stats: it is dropped
        with reason `not_measured` until `filters run` measures it (or ran --measure-all)."""
        verdict = (NOT_MEASURED, f"{self.step} never measured this sample; rerun `filters run`")
        self.counters.count(NOT_MEASURED)
        return verdict

    def run_emit(self, sample: Sample, stats: dict[str, Any]) -> list[Sample]:
        children = self.emit(sample, stats)
        self.counters.emitted += len(children)
        return children

    def take_counters(self) -> StepStats:
        counters, self.counters = self.counters, StepStats(self.step, self.name)
        return counters


class ImageOperator(Operator):
    """An operator over the images of a sample, with `any_or_all` and `roles` selection."""

    per_image = True

    def measure_image(self, image: Image) -> dict[str, Any]:
        raise NotImplementedError

    def decide_image(self, stats: dict[str, Any]) -> Verdict:
        raise NotImplementedError

    def images(self, sample: Sample) -> list[Image]:
        roles = getattr(self.params, "roles", None)
        return [img for img in sample.images if roles is None or img.role in roles]

    def measure(self, sample: Sample) -> dict[str, Any]:
        return stack_images([self.measure_image(img) for img in self.images(sample)], self.STATS)

    def decide(self, stats: dict[str, Any]) -> Verdict:
        keys = [k for k, stat in self.STATS.items() if stat.per_image]
        n = len(stats[keys[0]] or [])
        verdicts = [self.decide_image({k: stats[k][i] for k in keys}) for i in range(n)]
        failed = [v for v in verdicts if v is not None]
        mode = getattr(self.params, "any_or_all", "all")
        if not failed or (mode == "any" and len(failed) < len(verdicts)):
            return None
        return failed[0]


def stack_images(per_image: list[dict[str, Any]], stats: dict[str, Stat]) -> dict[str, Any]:
    """Per-image dicts to one dict of per-image lists (in image order)."""
    return {k: [d.get(k) for d in per_image] for k, stat in stats.items() if stat.per_image}


def _error_text(sample: Sample) -> str:
    lines = traceback.format_exc().strip().splitlines()
    return f"sample {sample.id}: {lines[-1]}"[:ERROR_DETAIL_CHARS]


# -- registry ----------------------------------------------------------------------------------
REGISTRY: dict[str, type[Operator]] = {}


def register(cls: type[Operator]) -> type[Operator]:
    """Class decorator: make an operator available to recipes under its `name`."""
    if not cls.name.isascii() or not cls.name.replace("_", "").isalnum():
        raise ValueError(f"operator name {cls.name!r} must be ASCII letters, digits, underscores")
    for key, stat in cls.STATS.items():
        if key == ERROR_KEY:
            raise ValueError(f"{cls.name}: stat name {ERROR_KEY!r} is reserved")
        if stat.dtype not in DTYPES:
            raise ValueError(f"{cls.name}.{key}: dtype {stat.dtype!r} not in {DTYPES}")
    REGISTRY[cls.name] = cls
    return cls


def get_operator(name: str) -> type[Operator]:
    import filters.operators  # noqa: F401  (registers every operator)

    if name not in REGISTRY:
        close = difflib.get_close_matches(name, REGISTRY, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown operator {name!r}{hint} (known: {', '.join(sorted(REGISTRY))})")
    return REGISTRY[name]


def all_operators() -> dict[str, type[Operator]]:
    import filters.operators  # noqa: F401

    return dict(sorted(REGISTRY.items()))
