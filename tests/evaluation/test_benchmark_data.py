"""Benchmark data: the bundled copies are the official files, and a file is found bundled, then
under $MAMMOTH2_BENCHMARKS, then from the flag; data we may not ship is one clear line when
missing; a Hugging Face dataset folder is read as the user has it."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from pathlib import Path

import datasets
import pytest
from PIL import Image

from evaluation.benchmark_data import BENCHMARKS_ENV, BenchmarkFile, MissingData
from evaluation.dpgbench.questions import PROMPTS_FILE, load_prompts
from evaluation.errors import BadInput
from evaluation.geneval.metadata import METADATA_FILE, OBJECT_NAMES_FILE
from evaluation.imgedit.data import BASIC_ITEMS, BASIC_PROMPTS, UGE_ITEMS
from evaluation.realunify.__main__ import main as realunify_main
from evaluation.realunify.data import load_items
from evaluation.understanding.__main__ import main as understanding_main
from evaluation.understanding.tsv import read_rows, read_tsv, write_tsv
from models.external.aesthetic import DEFAULT_HEAD

BUNDLED = (METADATA_FILE, OBJECT_NAMES_FILE, BASIC_ITEMS, BASIC_PROMPTS, UGE_ITEMS)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def attributed_sha256(attribution: Path) -> dict[str, str]:
    """file name -> sha256 from an ATTRIBUTION.md table row ``| path | bytes | sha256 |``."""
    rows = re.findall(r"^\| (\S+) \| \d+ \| ([0-9a-f]{64}) \|", attribution.read_text(), re.M)
    return {Path(name).name: digest for name, digest in rows}


@pytest.mark.parametrize("file", BUNDLED, ids=lambda f: f.layout)
def test_bundled_files_are_the_attributed_official_ones(file):
    data = file.bundled.parent
    attribution = data / "ATTRIBUTION.md" if data.name == "data" else data.parent / "ATTRIBUTION.md"
    assert sha256(file.bundled) == attributed_sha256(attribution)[file.bundled.name]


def test_bundled_dpg_prompts_and_aesthetic_head():
    texts = json.loads(PROMPTS_FILE.bundled.read_text(encoding="utf-8"))  # the files' own texts
    assert len(texts) == 1065 and sum(len(t.encode()) for t in texts.values()) == 434_471
    assert sum(not t.isascii() for t in texts.values()) == 27
    assert sum(not t.endswith("\n") for t in texts.values()) == 1064
    digest = "21dd590f3ccdc646f0d53120778b296013b096a035a2718c9cb0d511bff0f1e0"
    assert (
        sha256(DEFAULT_HEAD) == digest and Path(DEFAULT_HEAD).with_name("ATTRIBUTION.md").exists()
    )


def test_dpg_prompt_folder_and_bundled_file_read_the_same(tmp_path):
    prompts = json.loads(PROMPTS_FILE.bundled.read_text(encoding="utf-8"))
    for item_id in ("partiprompts97", "whoops31"):
        (tmp_path / f"{item_id}.txt").write_text(prompts[item_id], encoding="utf-8")
    from_folder = load_prompts(tmp_path)
    bundled = load_prompts(PROMPTS_FILE.bundled)
    assert from_folder == {k: bundled[k] for k in ("partiprompts97", "whoops31")}


def test_bundled_then_variable_then_flag(tmp_path, monkeypatch):
    monkeypatch.delenv(BENCHMARKS_ENV, raising=False)
    assert METADATA_FILE.locate() == METADATA_FILE.bundled
    root = tmp_path / "benchmarks"
    monkeypatch.setenv(BENCHMARKS_ENV, str(root))
    assert METADATA_FILE.locate() == METADATA_FILE.bundled  # nothing there: still bundled
    mine = root / METADATA_FILE.layout
    mine.parent.mkdir(parents=True)
    mine.write_text("{}\n")
    assert METADATA_FILE.locate() == mine
    given = tmp_path / "given.jsonl"
    given.write_text("{}\n")
    assert METADATA_FILE.locate(given) == given
    with pytest.raises(BadInput, match="nope.jsonl: GenEval .*no such file"):
        METADATA_FILE.locate(tmp_path / "nope.jsonl")


def test_unbundled_data_missing_is_one_line_saying_what_where_and_which_flag(tmp_path, monkeypatch):
    monkeypatch.setenv(BENCHMARKS_ENV, str(tmp_path))
    file = BenchmarkFile("X items", "x/items.json", obtain="the X authors", flag="--items")
    with pytest.raises(MissingData) as e:
        file.locate()
    message = str(e.value)
    assert "\n" not in message and message.startswith("X items: not found.")
    assert "the X authors" in message and "--items" in message
    assert f"${BENCHMARKS_ENV}/x/items.json" in message


@pytest.mark.parametrize(
    ("main", "argv", "what"),
    [
        (realunify_main, ["--stage", "score"], "RealUnify UEG items"),
        (realunify_main, ["--suite", "geu", "--stage", "score"], "RealUnify GEU items"),
        (understanding_main, ["--stage", "score", "--suite", "mme"], "VLMEvalKit TSV files"),
    ],
)
def test_clis_name_missing_data_in_one_line(main, argv, what, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(BENCHMARKS_ENV, raising=False)
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"error: {what}")
    assert "obtain it from" in err and "--data" in err


UEG = [
    {"index": i, "task_type": "world_knowledge", "prompt": f"p{i}",
     "question_list": [{"question": f"q{i}", "answer": "yes"}, {"question": "r", "answer": "no"}]}
    for i in range(3)
]  # fmt: skip


def hf_layouts(tmp_path: Path, rows: list[dict], features=None) -> list[Path]:
    """The same rows as a save_to_disk folder and as the hub's parquet files."""
    ds = datasets.Dataset.from_list(rows, features=features)
    ds.save_to_disk(tmp_path / "saved")
    (tmp_path / "hub" / "data").mkdir(parents=True)
    ds.to_parquet(tmp_path / "hub" / "data" / "test-00000-of-00001.parquet")
    return [tmp_path / "saved", tmp_path / "hub"]


def test_realunify_reads_hugging_face_dataset_folders(tmp_path):
    as_json = tmp_path / "UEG_direct.json"
    as_json.write_text(json.dumps(UEG))
    for folder in hf_layouts(tmp_path, UEG):
        assert load_items(folder) == load_items(as_json)


def test_a_folder_with_several_splits_must_be_narrowed(tmp_path):
    splits = datasets.DatasetDict({s: datasets.Dataset.from_list(UEG) for s in ("dev", "test")})
    splits.save_to_disk(tmp_path / "saved")
    with pytest.raises(BadInput, match="several splits \\(dev, test\\)"):
        load_items(tmp_path / "saved")
    assert len(load_items(tmp_path / "saved" / "test")) == 3


def test_understanding_rows_from_a_dataset_folder_equal_the_tsv(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 40)).save(out, format="PNG")
    image = out.getvalue()
    tsv_rows = [{"index": "0", "question": "Q?", "A": "yes", "B": "", "answer": "A",
                 "image": base64.b64encode(image).decode()}]  # fmt: skip
    write_tsv(tmp_path / "MME.tsv", tsv_rows, list(tsv_rows[0]))
    features = datasets.Features(
        {k: datasets.Value("string") for k in ("index", "question", "A", "B", "answer")}
        | {"image": datasets.Image()}
    )
    hf_row = {**tsv_rows[0], "B": None, "image": {"bytes": image, "path": None}}
    for folder in hf_layouts(tmp_path, [hf_row], features):
        assert read_rows(folder) == read_tsv(tmp_path / "MME.tsv")
