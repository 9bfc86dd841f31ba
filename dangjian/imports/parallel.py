"""Checking the chunks of a large file on every core (SPEC §7: a province's 3 M members).

Per-row rules are Python; one process checks about 30,000 members a second. A streamed sheet
hands its chunks to worker processes and takes the answers back in file order, while the
database ingests what came before. The workers are forked after the caller has prepared what
they read (the organization directory), so nothing large is sent to them but the rows; they
never use the database. Where processes cannot be forked, or with one worker, the chunks are
checked in this process by the same function.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import chain, islice
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")
R = TypeVar("R")
MAX_WORKERS = 4


def worker_count() -> int:
    """IMPORT_WORKERS when set, else one per core (at most MAX_WORKERS); 1 where the process
    cannot fork."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    configured = getattr(settings, "IMPORT_WORKERS", 0)
    if configured > 0:
        return configured
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def map_in_order(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """fn(item) for each item, in order, computed by `workers` forked processes with at most
    one chunk waiting per worker (memory stays bounded whatever the number of items). A single
    item (a county's file is one chunk) is computed here: a pool would only add its start-up.

    `fn` must be a module-level function; what it reads besides its argument must be in place
    before the first item is asked for. Stopping early cancels what was not started."""
    items = iter(items)
    head = list(islice(items, 2))
    if workers <= 1 or len(head) < 2:
        yield from map(fn, chain(head, items))
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        pending = deque()
        for item in chain(head, items):
            pending.append(pool.submit(fn, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
