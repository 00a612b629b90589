"""Reference scores are data with sources, and the paper's headline numbers are among them."""

from __future__ import annotations

import pytest

from evaluation.reference_scores import benchmarks, reference_table


def paper_row(benchmark):
    return next(r for r in reference_table(benchmark)["rows"] if r["model"] == "MammothModa2 (Dev)")


def test_headline_numbers_and_sources():
    assert paper_row("geneval")["overall"] == 0.87
    assert paper_row("dpgbench")["overall"] == 87.2
    assert paper_row("imgedit")["overall"] == 4.06
    for name in benchmarks():
        table = reference_table(name)
        assert table["source"] and table["scale"] and table["rows"]


def test_magicbrush_row_is_the_mean_of_its_types():
    row = next(r for r in reference_table("imgedit")["rows"] if r["model"] == "MagicBrush")
    assert round(sum(row["categories"].values()) / 9, 2) == row["overall"]


def test_unknown_benchmark():
    with pytest.raises(KeyError, match="no reference scores"):
        reference_table("mmbench")
