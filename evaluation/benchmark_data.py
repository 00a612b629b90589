"""Where a benchmark's data files are found, and one line that says what to do when they are not.

Three sources, each overriding the one before:

1. the copy bundled with the project, next to the harness that reads it (where the licence
   allows: GenEval, DPG-Bench prompts, ImgEdit items), so a clone alone runs every command;
2. ``$MAMMOTH2_BENCHMARKS/<layout>``: a folder holding benchmarks in their official layouts
   (e.g. ``geneval/prompts/evaluation_metadata.jsonl``), used where the file exists there;
3. the command line's ``--data`` (or the flag the file names).

Data that may not be redistributed (RealUnify, understanding TSVs, benchmark images) has no
bundled copy; when neither the flag nor the variable gives it, ``MissingData`` says what is
missing, where to obtain it and which flag takes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from evaluation.errors import BadInput

BENCHMARKS_ENV = "MAMMOTH2_BENCHMARKS"


class MissingData(BadInput):
    """A benchmark file that is neither bundled, under $MAMMOTH2_BENCHMARKS, nor given."""


@dataclass(frozen=True)
class BenchmarkFile:
    """One data file (or folder) of a benchmark and the ways to find it."""

    what: str  # named in messages, e.g. "RealUnify UEG items (UEG_direct.json or UEG_step.json)"
    layout: str  # its path under $MAMMOTH2_BENCHMARKS, in the official layout
    bundled: Path | None = None  # the project's copy; None where it may not be redistributed
    obtain: str = ""  # where to get it when nothing is bundled
    flag: str = "--data"
    unbundled: str = "its licence does not allow redistribution"  # why there is no copy

    def locate(self, given: str | Path | None = None) -> Path:
        """The path to read: ``given``, else the variable's copy, else the bundled one."""
        if given is not None:
            path = Path(given)
            if not path.exists():
                raise BadInput(path, None, f"{self.what}: no such file or folder")
            return path
        root = os.environ.get(BENCHMARKS_ENV)
        if root and (Path(root) / self.layout).exists():
            return Path(root) / self.layout
        if self.bundled is not None:
            return self.bundled
        raise MissingData(self.what, None, self.missing())

    def missing(self) -> str:
        return (
            f"not found. The project does not ship this data ({self.unbundled}): obtain it "
            f"from {self.obtain}, then pass it with {self.flag} or place it at "
            f"${BENCHMARKS_ENV}/{self.layout}"
        )
