"""Judges for operators: one backend per worker, single-token score labels, score distributions.

Backends come from `models.external.backends.make_backend` (spec `openai:URL:MODEL`,
`transformers:PATH_OR_HUB_ID`, `replay:FILE`), so filters and evaluation share one client.
The probability-weighted score follows Q-Align: at the first generated position whose most
likely token is a score label, softmax the log-probabilities of the labels present among the top
tokens and take the expectation of the label values.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.external.chat import ChatBackend


@functools.lru_cache(maxsize=4)
def load_judge(spec: str, cache: str | None = None) -> ChatBackend:
    """One backend per process, spec and cache file (a local VLM loads once per worker)."""
    from models.external.backends import make_backend

    return make_backend(spec, cache=cache)


def judge_tokenizer(backend: ChatBackend, tokenizer: str | None) -> Any:
    """The tokenizer to check labels with: the local model's, or one named for a server."""
    processor = getattr(backend, "processor", None)
    if processor is not None:
        return getattr(processor, "tokenizer", processor)
    inner = getattr(backend, "inner", None)  # a CachedBackend around a local model
    if inner is not None and getattr(inner, "processor", None) is not None:
        return inner.processor.tokenizer
    if tokenizer:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(tokenizer)
    return None


def check_single_tokens(tokenizer: Any, labels: Sequence[str]) -> None:
    """Raise if a score label is not exactly one token (its probability would be wrong)."""
    for label in labels:
        ids = tokenizer.encode(label, add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(f"score label {label!r} is {len(ids)} tokens {ids} for this judge")


@dataclass(frozen=True)
class ScoreDistribution:
    probs: list[float] | None  # over the labels, in label order
    expected: float | None  # sum(value * prob), the stored score
    greedy: int | None  # the label the judge wrote (first digit of its answer)


def score_distribution(
    top_logprobs: list[dict[str, float]] | None, text: str | None, labels: Sequence[str]
) -> ScoreDistribution:
    values = [int(x) for x in labels]
    digit = re.search("|".join(map(re.escape, labels)), text or "")
    greedy = int(digit.group()) if digit else None
    for position in top_logprobs or []:
        if not position:
            continue
        top = max(position, key=position.get).strip()
        if top not in labels:
            continue
        logps = {}
        for token, logp in position.items():
            if token.strip() in labels:
                key = token.strip()
                logps[key] = max(logps.get(key, -math.inf), logp)
        peak = max(logps.values())
        weights = [math.exp(logps[x] - peak) if x in logps else 0.0 for x in labels]
        total = sum(weights)
        probs = [w / total for w in weights]
        return ScoreDistribution(
            probs, sum(v * p for v, p in zip(values, probs, strict=True)), greedy
        )
    return ScoreDistribution(None, None, greedy)
