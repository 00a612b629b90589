"""One error type for bad benchmark input, so every CLI can print one line naming file and item."""

from __future__ import annotations


class BadInput(ValueError):
    """Input that cannot be scored; the message names the file and the item."""

    def __init__(self, path: object, item: object, problem: str) -> None:
        self.path, self.item, self.problem = path, item, problem
        where = f"{path}" if item is None else f"{path}: item {item}"
        super().__init__(f"{where}: {problem}")
