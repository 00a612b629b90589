"""Published scores of the paper's tables (Mammoth2 and its comparisons), as data with sources.

The dashboard places a checkpoint's ``scores.json`` among these rows; each table keeps its scale
and source so a number is never shown without where it came from.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLES_FILE = Path(__file__).with_name("paper_tables.json")


@lru_cache(maxsize=1)
def _tables() -> dict[str, dict[str, Any]]:
    data = json.loads(TABLES_FILE.read_text())
    return {t["benchmark"]: t for t in data["tables"]}


def benchmarks() -> list[str]:
    """Benchmarks that have published reference rows."""
    return list(_tables())


def reference_table(benchmark: str) -> dict[str, Any]:
    """``{"benchmark", "scale", "source", "rows": [{"model", "overall", ...}]}``."""
    tables = _tables()
    if benchmark not in tables:
        raise KeyError(f"no reference scores for {benchmark!r} (have: {', '.join(tables)})")
    return tables[benchmark]
