"""The dask.distributed client shared by ingest and the filter runner.

A LocalCluster of single-threaded worker processes, or any running scheduler given as
`tcp://HOST:PORT`. Tasks sent to it carry everything they need as arguments (a remote worker
has nothing of the driver's process), and must be safe to run twice: a task whose worker died
is run again elsewhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

TASK_RETRIES = 3  # a task whose worker died is retried elsewhere (dask counts the deaths)


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator:
    """A client of the scheduler at `scheduler`, else of a LocalCluster of `workers` processes."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        yield client
