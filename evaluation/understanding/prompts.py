"""Judge prompts of the understanding suites (data in ``judge_prompts.json``).

They follow the structure the toolkits use (understanding_suites.md 2.2, 3.6, 3.7, 3.9, 3.10):
the MCQ matcher with two in-context examples and ``Z`` for no match (``E`` in lmms-eval's
MMBench copy), the Yes/No/Unknown matcher,
the MathVista answer extractor with worked examples, the HallusionBench correct / incorrect /
unclear grader (official and lmms-eval), and the MM-Vet grader table with ``<AND>`` / ``<OR>``
rules. The wording is ours, not the upstream text: record the judge, and expect small
differences from numbers produced with the upstream prompts.
"""

from __future__ import annotations

import json
from pathlib import Path

_PROMPTS = json.loads(Path(__file__).with_name("judge_prompts.json").read_text(encoding="utf-8"))
MCQ_MATCHER: str = _PROMPTS["mcq_matcher"]
MCQ_MATCHER_LMMS_EVAL: str = _PROMPTS["mcq_matcher_lmms_eval"]  # "E" for no match
YES_NO_MATCHER: str = _PROMPTS["yes_no_matcher"]
MATHVISTA_EXTRACTOR: str = _PROMPTS["mathvista_extractor"]
MMVET_GRADER: str = _PROMPTS["mmvet_grader"]
HALLUSION_GRADER: str = _PROMPTS["hallusion_grader"]
