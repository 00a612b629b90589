"""Fixtures of the corpus tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from raw_inputs import write_edits, write_folder, write_img2dataset, write_llava


@pytest.fixture
def raw(tmp_path: Path) -> dict[str, Path]:
    base = tmp_path / "raw"
    return {
        "folder": write_folder(base / "folder"),
        "edits": write_edits(base / "edits"),
        "llava": write_llava(base / "vqa"),
        "img2dataset": write_img2dataset(base / "i2d"),
    }
