"""Atomic writes: the target is the old file or the whole new one, never a half-written file,
and two writers of one target never share a temporary file."""

from __future__ import annotations

import pytest

from corpus.atomic import atomic_path, temporary_name, write_text_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "manifest.json"
    write_text_atomic("old\n", target)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n" and sorted(tmp_path.iterdir()) == [target]


def test_two_writers_of_one_target_get_their_own_temporaries(tmp_path):
    target = tmp_path / "stats.parquet"
    with atomic_path(target) as first, atomic_path(target) as second:
        assert first != second and first.parent == second.parent == tmp_path
        first.write_text("a")
        second.write_text("b")
    assert target.read_text() == "a"  # the last rename wins, each file was whole
    assert temporary_name(target).name.startswith(".stats.parquet.")
