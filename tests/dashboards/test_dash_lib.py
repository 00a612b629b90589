"""The dashboard's readers and queries, without Streamlit's script runner."""

from __future__ import annotations

import re

import polars as pl
import pytest
from dash_fixtures import FILTER_REPORT

from dashboards.lib import corpus, funnel, leaderboard, records, reference, training
from dashboards.lib.roots import PathRefused, child, confine, parse_roots


def test_confine_refuses_escapes_and_symlinks(tmp_path):
    root = tmp_path / "results"
    (root / "run").mkdir(parents=True)
    (tmp_path / "secret").write_text("x")
    (root / "run" / "link").symlink_to(tmp_path / "secret")
    assert confine(root / "run", (root,)) == (root / "run").resolve()
    assert confine("run/x.png", (root,), base=root) == root / "run" / "x.png"
    for bad in (tmp_path / "secret", root / "run" / "link", root / ".." / "secret", "/etc/passwd"):
        with pytest.raises(PathRefused):
            confine(bad, (root,))
    with pytest.raises(PathRefused):
        confine("../secret", (root,), base=root)


def test_symlinked_dataset_and_log_outside_roots_are_not_listed(tmp_path):
    outside = tmp_path / "outside"
    (outside / "ds").mkdir(parents=True)
    (outside / "ds" / "manifest.parquet").write_bytes(b"")
    (outside / "run.jsonl").write_text('{"step": 0}\n')
    root = tmp_path / "root"
    (root / "own").mkdir(parents=True)
    (root / "own" / "manifest.parquet").write_bytes(b"")
    (root / "own" / "log.jsonl").write_text('{"step": 0}\n')
    (root / "ds").symlink_to(outside / "ds")
    (root / "run.jsonl").symlink_to(outside / "run.jsonl")
    assert corpus.find_datasets((root,)) == [root / "own"]
    assert [log.path for log in training.find_logs((root,))] == [root / "own" / "log.jsonl"]


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "/etc"])
def test_child_takes_only_plain_names(tmp_path, name):
    with pytest.raises(PathRefused):
        child(tmp_path, "run", name)


def test_parse_roots_resolves_and_ignores_other_arguments(tmp_path):
    roots = parse_roots(["--results", str(tmp_path / "r" / ".."), "--corpus", "a", "--corpus", "b"])
    assert roots.results == (tmp_path.resolve(),)
    assert len(roots.corpus) == 2 and roots.logs == ()
    assert roots.reference[0].name == "reference_scores"


def test_best_value_per_benchmark_is_highlighted():
    long = pl.DataFrame(
        {
            "model": ["a", "b", "M", "a", "b"],
            "source": ["our run", "our run", "published", "our run", "our run"],
            "benchmark": ["geneval", "geneval", "geneval", "imgedit", "imgedit"],
            "overall": [0.5, 0.9, 0.87, 4.2, 3.0],
        }
    )
    wide = leaderboard.wide_table(long)
    assert list(wide["model"]) == ["b", "M", "a"]  # by mean rank, then name
    style = leaderboard.styled(wide).to_html().split("</style>")[0]
    assert leaderboard.BEST_STYLE.split(";")[0] in style
    highlighted = set(re.findall(r"_row(\d+)_col(\d+)", style))
    cols = list(wide.columns)
    best_geneval = (str(wide["geneval"].idxmax()), str(cols.index("geneval")))
    best_imgedit = (str(wide["imgedit"].idxmax()), str(cols.index("imgedit")))
    assert highlighted == {best_geneval, best_imgedit}
    assert wide.loc[int(best_geneval[0]), "model"] == "b"
    assert wide.loc[int(best_imgedit[0]), "model"] == "a"


def test_correct_is_full_marks_on_the_benchmark_scale():
    frame = pl.DataFrame({"key": ["x", "y", "z"], "score": [5.0, 4.0, None]})
    for benchmark in ("imgedit", "imgedit_uge"):
        out = records.with_outcome(frame, benchmark)
        assert out.get_column("correct").to_list() == [True, False, False]
        assert out.get_column("item").to_list() == ["x", "y", "z"]
    out = records.with_outcome(frame.with_columns(pl.col("score") / 5), "realunify")
    assert out.get_column("correct").to_list() == [True, False, False]


def test_funnel_reads_the_filters_report():
    steps = funnel.funnel(FILTER_REPORT)
    assert steps.get_column("samples").to_list() == [34, 28, 20]
    assert funnel.drops(FILTER_REPORT).rows() == [
        ("aesthetic", "low_aesthetic", 8),
        ("resolution", "too_small", 6),
    ]
    pct = funnel.percentiles(FILTER_REPORT)
    assert pct.filter(pl.col("stat") == "score").row(0, named=True)["p50"] == 5.0


def test_training_log_groups_and_torn_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(
        '{"step": 0, "loss": {"ntp": 2.0, "fm": 1.0}, "lr": 0.1, "tokens_per_s": 5}\n'
        "\n"
        '{"no_step": 1}\n'
        '{"step": 1, "loss": {"ntp": 1.5, "fm": 0.8}, "lr": 0.2, "tokens_per_s": 6}\n'
        '{"step": 2, "loss": {"nt'
    )
    frame, skipped = training.read_log.__wrapped__(str(path), 0.0)
    assert skipped == 2 and frame.height == 2
    groups = training.metric_groups(frame.columns)
    assert groups == {
        "loss": ["loss.ntp", "loss.fm"],
        "lr": ["lr"],
        "throughput": ["tokens_per_s"],
        "other": [],
    }


def test_default_reference_is_the_evaluation_packages_paper_tables():
    rows = reference.reference_rows(parse_roots([]).reference)
    dev = rows.filter(pl.col("model") == "MammothModa2 (Dev)")
    assert dict(zip(dev["benchmark"], dev["overall"], strict=True))["geneval"] == 0.87
