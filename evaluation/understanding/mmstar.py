"""MMStar: 1,500 four-option MCQs, micro-averaged accuracy (understanding_suites.md 3.2).

VLMEvalKit's overall is the micro average over items (lmms-eval's is a macro mean over the 18
l2 categories, a different statistic; both breakdowns are reported)."""

from evaluation.understanding.base import Suite, score_plain_mcq

SUITE = Suite("mmstar", {"MMStar": "e1ecd2140806c1b1bbf54b43372efb9e"}, "mcq", score_plain_mcq)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mmstar"))
