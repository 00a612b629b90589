"""AI2D (test, 3,088 four-option diagram MCQs), scored as plain MCQ (understanding_suites.md 3.3).

Report which TSV was used: ``AI2D_TEST`` (masked) or ``AI2D_TEST_NO_MASK``."""

from evaluation.understanding.base import Suite, score_plain_mcq

SUITE = Suite(
    "ai2d",
    {"AI2D_TEST": "0f593e0d1c7df9a3d69bf1f947e71975", "AI2D_TEST_NO_MASK": ""},
    "mcq",
    score_plain_mcq,
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="ai2d"))
