"""Run identity files: a resumed run must have been started with the same inputs and options.

Ingest and the filter runner both resume from what an interrupted attempt left; that is only
exact when nothing that shapes the output changed, so each records its identity on the first
attempt and compares it on every later one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from corpus.atomic import write_text_atomic


def same_run(path: Path, identity: dict[str, Any]) -> bool:
    """Whether `path` records this identity; records it (atomically) when there is none yet."""
    if path.exists():
        return json.loads(path.read_text()) == json.loads(json.dumps(identity))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(json.dumps(identity, indent=2) + "\n", path)
    return True
