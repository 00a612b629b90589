"""AppTest of every page on the fixture results, corpus and logs: widgets change what is shown."""

from __future__ import annotations

import pytest

PAGES = ["leaderboard", "drilldown", "samples", "corpus", "training"]


def texts(at) -> str:
    """Everything a person reads on the page (markdown, captions, subheaders, alerts)."""
    parts = [
        e.value for kind in ("markdown", "caption", "subheader", "title") for e in at.get(kind)
    ]
    parts += [e.value for kind in ("error", "warning", "info") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception(app, page):
    at = app(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_leaderboard_places_runs_among_published_rows(app):
    at = app("leaderboard")
    table = at.dataframe[0].value
    assert {"ckpt-a", "ckpt-b", "ckpt-c", "Mammoth2", "BAGEL"} <= set(table["model"])
    assert table["model"].iloc[-1] == "ckpt-c"  # no score anywhere: ranked last
    assert {"geneval", "imgedit", "dpgbench"} <= set(table.columns)
    mammoth = table[table["model"] == "Mammoth2"].iloc[0]
    assert mammoth["geneval"] == pytest.approx(0.87)
    assert mammoth["imgedit"] == pytest.approx(4.06)
    assert mammoth["source"] == "published"
    sources = at.dataframe[1].value
    assert list(sources["source"]) == ["paper Table 2", "paper Table 4"]

    at.toggle(key="with_reference").set_value(False).run()
    assert set(at.dataframe[0].value["model"]) == {"ckpt-a", "ckpt-b", "ckpt-c"}

    at.multiselect(key="benches").set_value(["imgedit"]).run()
    table = at.dataframe[0].value
    assert list(table.columns) == ["model", "source", "imgedit"]
    assert set(table["model"]) == {"ckpt-a", "ckpt-b"}

    at.toggle(key="with_reference").set_value(True).run()
    at.multiselect(key="models").set_value(["Mammoth2"]).run()
    assert list(at.dataframe[0].value["model"]) == ["Mammoth2"]


def test_drilldown_categories_and_worst_items(app):
    at = app("drilldown")
    assert at.selectbox(key="bench").value == "geneval"  # the benchmark most runs have
    cats = at.dataframe[0].value
    assert list(cats["category"]) == ["single_object", "two_object"]
    assert cats.set_index("category").loc["two_object", "ckpt-a"] == 0.0
    assert cats.set_index("category").loc["two_object", "Mammoth2"] == pytest.approx(0.97)

    worst = at.dataframe[1].value
    assert worst.iloc[0]["prompt"] == "a photo of a green triangle and a red circle"
    assert worst.iloc[0]["mean_score"] == 0.0
    assert "/samples?benchmark=geneval&run=ckpt-a" in worst.iloc[0]["open"]

    at.selectbox(key="worst_run").set_value("ckpt-b").run()
    worst = at.dataframe[1].value
    assert worst.iloc[0]["prompt"] == "a photo of a red circle"
    assert worst.iloc[0]["mean_score"] == 0.5

    at.toggle(key="with_reference").set_value(False).run()
    assert "Mammoth2" not in at.dataframe[0].value.columns


def test_sample_browser_filters_and_compares(app):
    at = app("samples", {"benchmark": "geneval", "run": "ckpt-a"})
    assert "6 of 6 items" in texts(at)
    at.radio(key="outcome").set_value("incorrect").run()
    assert "3 of 6 items" in texts(at)
    assert set(at.dataframe[0].value["category"]) == {"single_object", "two_object"}
    at.multiselect(key="cats").set_value(["two_object"]).run()
    assert "2 of 6 items" in texts(at)
    assert "a photo of a green triangle and a red circle" in texts(at)
    assert len(at.image) == 1

    at.selectbox(key="run_b").set_value("ckpt-b").run()
    assert "score_b" in at.dataframe[0].value.columns
    page = texts(at)
    assert "**ckpt-a**" in page and "**ckpt-b**" in page
    assert at.query_params["compare"] == "ckpt-b"


def test_sample_browser_deep_link_to_an_item(app):
    item = "00001/samples/0000.png"
    at = app("samples", {"benchmark": "geneval", "run": "ckpt-b", "item": item})
    assert at.selectbox(key="item").value == item
    assert at.selectbox(key="run_a").value == "ckpt-b"
    assert "a photo of a blue square" in texts(at)


def test_broken_deep_link_is_reported(app):
    at = app("samples", {"benchmark": "geneval", "run": "ckpt-z"})
    assert any("'ckpt-z' has no 'geneval' results" in w.value for w in at.warning)
    assert at.selectbox(key="run_a").value == "ckpt-a"


def test_record_path_outside_results_is_refused(app):
    at = app(
        "samples", {"benchmark": "geneval", "run": "ckpt-b", "item": "../../../../outside.png"}
    )
    errors = [e.value for e in at.error]
    assert any("refused" in e and "outside.png" in e for e in errors), errors
    assert not at.image


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("samples", {"benchmark": "geneval", "run": "../../.."}),
        ("samples", {"benchmark": "..", "run": "ckpt-a"}),
        ("corpus", {"dataset": "/etc"}),
        ("corpus", {"dataset": "/tmp/../etc"}),
        ("training", {"log": "/etc/passwd"}),
    ],
)
def test_query_parameter_outside_roots_is_refused(app, page, query):
    at = app(page, query)
    assert [e.value for e in at.error if "Path refused" in e.value]
    assert not at.dataframe


def test_corpus_explorer_counts_filters_and_grid(app, roots):
    at = app("corpus")
    assert at.metric[0].value == "34"
    tasks = at.dataframe  # counts are charts; the funnel tables are dataframes
    assert any("too_small" in set(df.value.get("reason", [])) for df in tasks)

    at.multiselect(key="task").set_value(["it2i"]).run()
    assert at.metric[0].value == "4"
    at.multiselect(key="task").set_value(["t2i"]).run()
    at.multiselect(key="lang").set_value(["zh"]).run()
    assert at.metric[0].value == "6"
    assert len(at.image) == 6

    at.button(key=at.button[0].key).click().run()
    assert any(s.value.startswith("Sample ") for s in at.subheader)
    assert at.json, "the sample's metadata is shown"


def test_corpus_dataset_from_query_parameter(app, roots):
    at = app("corpus", {"dataset": str(roots["corpus"])})
    assert at.selectbox(key="dataset").value == roots["corpus"]


def test_training_overlays_runs_and_terms(app):
    at = app("training")
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2 and all("skipped 1 line" in w for w in warnings)
    summary = at.dataframe[0].value
    assert list(summary["run"]) == ["ckpt/tiny-a/log.jsonl", "ckpt/tiny-b/log.jsonl"]
    assert list(summary["step"]) == [19, 19]
    assert {"loss.ntp", "loss.fm", "loss_task.t2i", "loss_task.it2i"} <= set(summary.columns)
    assert at.multiselect(key="losses").value == [
        "loss.fm", "loss.ntp", "loss.total", "loss_task.it2i", "loss_task.t2i"
    ]  # fmt: skip
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3  # loss, learning rate, throughput
    loss_chart = charts[0].proto.SerializeToString()
    assert all(s in loss_chart for s in (b"tiny-a/log.jsonl", b"tiny-b/log.jsonl", b"loss.ntp"))

    at.multiselect(key="logs").set_value(["ckpt/tiny-b/log.jsonl"]).run()
    assert list(at.dataframe[0].value["run"]) == ["ckpt/tiny-b/log.jsonl"]
    at.multiselect(key="losses").set_value(["loss.fm"]).run()
    assert "loss.ntp" not in at.dataframe[0].value.columns
    loss_chart = at.get("vega_lite_chart")[0].proto.SerializeToString()
    assert b"loss.fm" in loss_chart and b"loss.ntp" not in loss_chart
    assert b"tiny-a" not in loss_chart
