"""The leaderboard: runs and published rows as one table, best value per benchmark highlighted.

Every benchmark of the paper's tables (GenEval, DPG-Bench, ImgEdit, RealUnify, the understanding
suites) reports a higher-is-better number, so "best" is the column maximum.
"""

from __future__ import annotations

import pandas as pd
import polars as pl
from pandas.io.formats.style import Styler

BEST_STYLE = "background-color: #b7e4c7; font-weight: bold"
RUN_SOURCE = "our run"
PUBLISHED = "published"


def long_table(runs: pl.DataFrame, reference: pl.DataFrame) -> pl.DataFrame:
    """(model, source, benchmark, overall) for runs (model = run name) and published rows."""
    ours = runs.select(
        pl.col("run").alias("model"),
        pl.lit(RUN_SOURCE).alias("source"),
        "benchmark",
        "overall",
    )
    published = reference.select("model", pl.lit(PUBLISHED).alias("source"), "benchmark", "overall")
    return pl.concat([ours, published])


def filter_long(
    table: pl.DataFrame, benchmarks: list[str], models: list[str], with_reference: bool
) -> pl.DataFrame:
    """Rows of the chosen benchmarks and models (all when a list is empty); published optional."""
    out = table
    if benchmarks:
        out = out.filter(pl.col("benchmark").is_in(benchmarks))
    if models:
        out = out.filter(pl.col("model").is_in(models))
    if not with_reference:
        out = out.filter(pl.col("source") == RUN_SOURCE)
    return out


def wide_table(long: pl.DataFrame) -> pd.DataFrame:
    """One row per model (runs and published apart), one column per benchmark, by mean rank."""
    if long.is_empty():
        return pd.DataFrame(columns=["model", "source"])
    # A published model spans several paper tables: one row, one column per benchmark.
    wide = long.pivot(
        on="benchmark", index=["model", "source"], values="overall", aggregate_function="first"
    )
    benches = sorted(c for c in wide.columns if c not in ("model", "source"))
    ranks = [pl.col(b).rank(descending=True) for b in benches]
    wide = wide.with_columns(pl.mean_horizontal(ranks).alias("_rank"))
    wide = wide.sort("_rank", "model", nulls_last=True)
    return wide.select("model", "source", *benches).to_pandas()


def styled(wide: pd.DataFrame) -> Styler:
    """The wide table with each benchmark's best value highlighted."""
    benches = [c for c in wide.columns if c not in ("model", "source")]
    return wide.style.highlight_max(subset=benches, axis=0, props=BEST_STYLE).format(
        precision=3, subset=benches, na_rep="–"
    )
