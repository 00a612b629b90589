"""The understanding judge: ``rule_only`` (no calls) or any chat backend, with exact fallbacks.

Each method follows the toolkit it reproduces (understanding_suites.md): MCQ matching with up to
3 attempts and then a *seeded* random choice among the options and Z (VLMEvalKit's is unseeded;
ours is seeded per request, so it does not depend on the order concurrent items finish in);
Yes/No matching and MM-Vet grading with up to 5 attempts at temperature 0.5*i; MathVista
extraction and HallusionBench grading retried only when the call fails. Counters record how many
items the judge decided and how many fell back to chance, for every result.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evaluation.understanding.extract import (
    LEGACY_NO_MATCH,
    NO_ANSWER_LETTER,
    UNKNOWN,
    can_infer,
    can_infer_legacy,
)
from evaluation.understanding.extract import yes_no_vlmevalkit as yes_no_words
from evaluation.understanding.prompts import (
    HALLUSION_GRADER,
    MATHVISTA_EXTRACTOR,
    MCQ_MATCHER,
    MCQ_MATCHER_LMMS_EVAL,
    MMVET_GRADER,
    YES_NO_MATCHER,
)
from models.external.chat import ChatBackend, ChatRequest, user_message

MCQ_ATTEMPTS = 3
YES_NO_ATTEMPTS = 5
MATHVISTA_ATTEMPTS = 5
MMVET_ATTEMPTS = 5
HALLUSION_ATTEMPTS = 3  # lmms-eval HallusionBench: a failed grading call is retried 3 times
HALLUSION_MAX_TOKENS = 16  # understanding_suites.md 3.7 (lmms-eval max_tokens)
TEMPERATURE_STEP = 0.5  # retry i runs at temperature 0.5 * i
MMVET_RETRY_SUFFIX = "Predict the correctness of the answer (digit): "  # official retries
FALLBACK_SEED = 2680  # seed of the random MCQ fallback (lmms-eval's MMBench value)
RULE_ONLY = "rule_only"
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class McqStyle:
    """How a toolkit's MCQ judge asks and reads: prompt, reply parser, no-match letter."""

    prompt: str
    infer: Callable[[str, dict[str, str]], str | None]
    no_match: str


VLMEVALKIT_MCQ = McqStyle(MCQ_MATCHER, can_infer, NO_ANSWER_LETTER)
LMMS_EVAL_MCQ = McqStyle(MCQ_MATCHER_LMMS_EVAL, can_infer_legacy, LEGACY_NO_MATCH)  # MMBench


class Judge:
    """Wraps a chat backend (or none, for ``rule_only``) with the suites' judge procedures."""

    def __init__(self, backend: ChatBackend | None = None, seed: int = FALLBACK_SEED) -> None:
        self.backend = backend
        self.seed = seed
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()  # items are judged on several threads

    def count(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1

    @property
    def active(self) -> bool:
        return self.backend is not None

    def describe(self) -> dict[str, Any]:
        return self.backend.describe() if self.backend else {"backend": RULE_ONLY}

    def ask(
        self, prompt: str, temperature: float | None = None, max_tokens: int = 64, run: int = 0
    ) -> str | None:
        """One call (``run`` tells repeats apart); None when it failed or there is no backend."""
        if self.backend is None:
            return None
        self.count("calls")
        request = ChatRequest(
            [user_message(prompt)], max_tokens=max_tokens, temperature=temperature, run=run
        )
        return self.backend.complete([request])[0].text

    def mcq(
        self,
        question: str,
        options: dict[str, str],
        prediction: str,
        style: McqStyle = VLMEVALKIT_MCQ,
    ) -> tuple[str | None, str]:
        """(letter or the no-match letter, "judge" | "random"); after 3 failures a seeded random
        pick among the options and the no-match letter; judge off: (None, "none")."""
        if not self.active:
            return None, "none"
        listed = "\n".join(f"{k}. {v}" for k, v in options.items())
        prompt = style.prompt.format(question=question, options=listed, prediction=prediction)
        for _ in range(MCQ_ATTEMPTS):
            reply = self.ask(prompt)
            letter = style.infer(reply, options) if reply else None  # no-match via the letter rule
            if letter:
                self.count("judge_decided")
                return letter, "judge"
        self.count("random_fallback")
        rng = random.Random(f"{self.seed}\n{prompt}")  # reproducible per item, in any order
        return rng.choice([*options, style.no_match]), "random"

    def yes_no(self, question: str, prediction: str) -> str:
        """Yes, No or Unknown (Unknown also when the judge is off or keeps failing)."""
        prompt = YES_NO_MATCHER.format(question=question, prediction=prediction)
        for i in range(YES_NO_ATTEMPTS if self.active else 0):
            reply = self.ask(prompt, temperature=TEMPERATURE_STEP * i)
            answer = yes_no_words(reply) if reply else UNKNOWN
            if answer != UNKNOWN:
                self.count("judge_decided")
                return answer
        return UNKNOWN

    def mathvista_extract(self, query: str, prediction: str) -> str | None:
        prompt = MATHVISTA_EXTRACTOR.format(query=query, prediction=prediction)
        for i in range(MATHVISTA_ATTEMPTS if self.active else 0):
            reply = self.ask(prompt, temperature=TEMPERATURE_STEP * i, max_tokens=128)
            if reply is not None:
                self.count("judge_decided")
                return reply.strip()
        return None

    def hallusion_grade(self, question: str, reference: str, prediction: str) -> str | None:
        """The HallusionBench grader's raw reply (correct / incorrect / unclear), retried only
        when the call fails; None without a judge or when every call failed."""
        prompt = HALLUSION_GRADER.format(
            question=question, reference=reference, prediction=prediction
        )
        for _ in range(HALLUSION_ATTEMPTS if self.active else 0):
            reply = self.ask(prompt, max_tokens=HALLUSION_MAX_TOKENS)
            if reply is not None:
                self.count("judge_decided")
                return reply
        return None

    def mmvet_grade(self, question: str, answer: str, prediction: str) -> float | None:
        """VLMEvalKit: the whole reply must parse as a score in [0, 1]; up to 5 tries at
        temperature 0.5*i, then 0. None when there is no judge."""
        if not self.active:
            return None
        prompt = mmvet_prompt(question, answer, prediction)
        for i in range(MMVET_ATTEMPTS):
            reply = self.ask(prompt, temperature=TEMPERATURE_STEP * i, max_tokens=3)
            score = unit_score(reply.strip() if reply else None)
            if score is not None:
                self.count("judge_decided")
                return score
        return 0.0

    def mmvet_grade_official(
        self, question: str, answer: str, prediction: str, run: int
    ) -> float | None:
        """Official mm-vet_evaluator: the reply's first token must be a score in [0, 1]; a retry
        appends the digit request and raises the temperature by 0.5; 0 after 5 tries."""
        if not self.active:
            return None
        prompt = mmvet_prompt(question, answer, prediction)
        for i in range(MMVET_ATTEMPTS):
            text = prompt if i == 0 else prompt + MMVET_RETRY_SUFFIX
            reply = self.ask(text, temperature=TEMPERATURE_STEP * i, max_tokens=3, run=run)
            score = unit_score(reply.split()[0] if reply and reply.split() else None)
            if score is not None:
                self.count("judge_decided")
                return score
        return 0.0


def mmvet_prompt(question: str, answer: str, prediction: str) -> str:
    spaced = answer.replace("<AND>", " <AND> ").replace("<OR>", " <OR> ")
    return MMVET_GRADER.format(question=question, answer=spaced, prediction=prediction)


def unit_score(text: str | None) -> float | None:
    """``text`` as a float in [0, 1], else None."""
    try:
        score = float(text) if text else None
    except ValueError:
        return None
    return score if score is not None and 0.0 <= score <= 1.0 else None
