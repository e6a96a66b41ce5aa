"""One cluster adoption at a time per library, across processes (`bunny name`, the daemon).

While a process holds it, no other one finishes or sweeps what that process is writing; a
process killed part-way drops it with its life, so whoever takes it next may finish its
adoption from the record.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from daemon.service.instance_lock import AlreadyRunningError, InstanceLock

LOCK_FILE = "adoption.lock"
WAIT_SECONDS = 60.0
RETRY_SECONDS = 0.05


class AdoptionBusyError(RuntimeError):
    pass


@contextmanager
def adoption_lock(library: Path, wait_seconds: float = WAIT_SECONDS) -> Iterator[None]:
    lock = InstanceLock(library / LOCK_FILE)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            lock.acquire()
            break
        except AlreadyRunningError:
            if time.monotonic() >= deadline:
                raise AdoptionBusyError(
                    f"another process is adopting a cluster in {library} (lock: {lock.path}); "
                    "try again when it is done"
                ) from None
            time.sleep(RETRY_SECONDS)
    try:
        yield
    finally:
        lock.release()
