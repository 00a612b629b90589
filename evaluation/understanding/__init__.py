"""Understanding suites (Table 6): VLMEvalKit-format data, pinned scorers, judges, predict stage.

Each suite is one module (``python -m evaluation.understanding.<suite>``) defining ``SUITE``;
this package registers them all in ``SUITES``.
"""

from evaluation.understanding import (
    ai2d,
    hallusionbench,
    mathvista,
    mmbench,
    mme,
    mmmu,
    mmstar,
    mmvet,
    mmvp,
    ocrbench,
)
from evaluation.understanding.base import SUITES

for _module in (mmbench, mmmu, mmvet, ocrbench, hallusionbench, ai2d, mmstar, mathvista, mme, mmvp):
    SUITES.register(_module.SUITE.name)(_module.SUITE)

ALL_SUITES = (
    "mmbench", "mmmu", "mmvet", "ocrbench", "hallusionbench",
    "ai2d", "mmstar", "mathvista", "mme", "mmvp",
)  # fmt: skip

__all__ = ["ALL_SUITES", "SUITES"]
