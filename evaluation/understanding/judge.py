"""The understanding judge: ``rule_only`` (no calls) or any chat backend, with exact fallbacks.

Each method follows the toolkit it reproduces (understanding_suites.md): MCQ matching with up to
3 attempts and then a *seeded* random choice among the options and Z (VLMEvalKit's is unseeded);
Yes/No matching and MM-Vet grading with up to 5 attempts at temperature 0.5*i; MathVista
extraction retried only when the call fails. Counters record how many items the judge decided
and how many fell back to chance, for every result.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

from evaluation.understanding.extract import NO_ANSWER_LETTER, UNKNOWN, can_infer
from evaluation.understanding.extract import yes_no_vlmevalkit as yes_no_words
from evaluation.understanding.prompts import (
    MATHVISTA_EXTRACTOR,
    MCQ_MATCHER,
    MMVET_GRADER,
    YES_NO_MATCHER,
)
from models.external.chat import ChatBackend, ChatRequest, user_message

MCQ_ATTEMPTS = 3
YES_NO_ATTEMPTS = 5
MATHVISTA_ATTEMPTS = 5
MMVET_ATTEMPTS = 5
TEMPERATURE_STEP = 0.5  # retry i runs at temperature 0.5 * i
FALLBACK_SEED = 2680  # seed of the random MCQ fallback (lmms-eval's MMBench value)
RULE_ONLY = "rule_only"
CJK = re.compile(r"[\u4e00-\u9fff]")


class Judge:
    """Wraps a chat backend (or none, for ``rule_only``) with the suites' judge procedures."""

    def __init__(self, backend: ChatBackend | None = None, seed: int = FALLBACK_SEED) -> None:
        self.backend = backend
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()

    @property
    def active(self) -> bool:
        return self.backend is not None

    def describe(self) -> dict[str, Any]:
        return self.backend.describe() if self.backend else {"backend": RULE_ONLY}

    def ask(
        self, prompt: str, temperature: float | None = None, max_tokens: int = 64
    ) -> str | None:
        """One call; None when the call failed (or there is no backend)."""
        if self.backend is None:
            return None
        self.counts["calls"] += 1
        request = ChatRequest(
            [user_message(prompt)], max_tokens=max_tokens, temperature=temperature
        )
        return self.backend.complete([request])[0].text

    def mcq(
        self, question: str, options: dict[str, str], prediction: str
    ) -> tuple[str | None, str]:
        """(letter or Z, "judge" | "random"); after 3 failures a seeded random pick; off: None."""
        if not self.active:
            return None, "none"
        listed = "\n".join(f"{k}. {v}" for k, v in options.items())
        prompt = MCQ_MATCHER.format(question=question, options=listed, prediction=prediction)
        for _ in range(MCQ_ATTEMPTS):
            reply = self.ask(prompt)
            letter = can_infer(reply, options) if reply else None  # Z via the token rule
            if letter:
                self.counts["judge_decided"] += 1
                return letter, "judge"
        self.counts["random_fallback"] += 1
        return self.rng.choice([*options, NO_ANSWER_LETTER]), "random"

    def yes_no(self, question: str, prediction: str) -> str:
        """Yes, No or Unknown (Unknown also when the judge is off or keeps failing)."""
        prompt = YES_NO_MATCHER.format(question=question, prediction=prediction)
        for i in range(YES_NO_ATTEMPTS if self.active else 0):
            reply = self.ask(prompt, temperature=TEMPERATURE_STEP * i)
            answer = yes_no_words(reply) if reply else UNKNOWN
            if answer != UNKNOWN:
                self.counts["judge_decided"] += 1
                return answer
        return UNKNOWN

    def mathvista_extract(self, query: str, prediction: str) -> str | None:
        prompt = MATHVISTA_EXTRACTOR.format(query=query, prediction=prediction)
        for i in range(MATHVISTA_ATTEMPTS if self.active else 0):
            reply = self.ask(prompt, temperature=TEMPERATURE_STEP * i, max_tokens=128)
            if reply is not None:
                self.counts["judge_decided"] += 1
                return reply.strip()
        return None

    def mmvet_grade(self, question: str, answer: str, prediction: str) -> float | None:
        """Score in [0, 1] (the whole reply must parse); 0 after 5 failures; None if off."""
        if not self.active:
            return None
        spaced = answer.replace("<AND>", " <AND> ").replace("<OR>", " <OR> ")
        prompt = MMVET_GRADER.format(question=question, answer=spaced, prediction=prediction)
        for i in range(MMVET_ATTEMPTS):
            reply = self.ask(prompt, temperature=TEMPERATURE_STEP * i, max_tokens=3)
            try:
                score = float(reply.strip()) if reply else None
            except ValueError:
                score = None
            if score is not None and 0.0 <= score <= 1.0:
                self.counts["judge_decided"] += 1
                return score
        return 0.0
