"""`--tags` restricts GenEval to some prompt tags (a quick partial evaluation)."""

from __future__ import annotations

import pytest

from evaluation.errors import BadInput
from evaluation.geneval.__main__ import build_parser, load_data
from evaluation.geneval.shapes_world import shapes_metadata
from evaluation.store import RunDir


def _load(tmp_path, *extra):
    args = build_parser().parse_args(["--detector", "shapes", "--out", str(tmp_path), *extra])
    return load_data(args, RunDir.create(str(tmp_path), "run", "geneval"))


def test_tags_keep_only_those_prompts(tmp_path):
    everything, _ = _load(tmp_path / "all")
    assert len(everything) == len(shapes_metadata())
    some, identity = _load(tmp_path / "some", "--tags", "single_object,colors")
    assert {m.tag for m in some} == {"single_object", "colors"}
    assert len(some) == sum(m.tag in ("single_object", "colors") for m in everything)
    assert identity["tags"] == ["single_object", "colors"]


def test_unknown_tag_is_refused(tmp_path):
    with pytest.raises(BadInput, match="unknown tags"):
        _load(tmp_path, "--tags", "single_objects")
