"""The step plan: which manifest rows every rank trains on at every step.

Every rank runs the same deterministic planner (task mixer -> packer -> rank balance) on manifest
costs alone, so ranks agree on the plan without communicating and each reads only its own rows.
A step has ``world * micro_batches`` packs; they are numbered globally (that number seeds the
flow-matching noise of the pack, which makes the gradient independent of which rank trains which
pack) and assigned to ranks longest-processing-time first on the attention cost
(tokens + sum of squared lengths + DiT tokens), ``micro_batches`` packs per rank.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from train.mixer import Draw
from train.packer import BestFitPacker, Item


@dataclass
class PlannedPack:
    index: int  # global pack number within the step (0 .. world * micro - 1)
    items: list[Item]
    cost: float

    @property
    def tokens(self) -> int:
        return sum(item.tokens for item in self.items)


def assign(packs: list[PlannedPack], world: int, per_rank: int) -> list[list[PlannedPack]]:
    """LPT: heaviest pack first, onto the least loaded rank that still has room."""
    ranks: list[list[PlannedPack]] = [[] for _ in range(world)]
    load = [0.0] * world
    for pack in sorted(packs, key=lambda p: (-p.cost, p.index)):
        open_ranks = [r for r in range(world) if len(ranks[r]) < per_rank]
        r = min(open_ranks, key=lambda r: (load[r], r))
        ranks[r].append(pack)
        load[r] += pack.cost
    return [sorted(rank, key=lambda p: p.index) for rank in ranks]


class Planner:
    """Steps of packs for all ranks; its state is the mixer's and the packer's plus the step."""

    def __init__(
        self,
        mixer: Any,
        packer: BestFitPacker,
        item_cost: Callable[[Draw], float],
        world: int,
        micro_batches: int,
    ) -> None:
        self.mixer, self.packer, self.item_cost = mixer, packer, item_cost
        self.world, self.micro = world, micro_batches
        self.step = 0

    def next_step(self) -> list[list[PlannedPack]]:
        """Packs of the next step, per rank."""
        packs = []
        for index in range(self.world * self.micro):
            items = self.packer.next_pack()
            cost = sum(self.item_cost(item.draw) for item in items)
            packs.append(PlannedPack(index, items, cost))
        self.step += 1
        return assign(packs, self.world, self.micro)

    def state_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "mixer": self.mixer.state_dict(),
            "packer": self.packer.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step = state["step"]
        self.mixer.load_state_dict(state["mixer"])
        self.packer.load_state_dict(state["packer"])
