"""What the running daemon measures of itself, kept for `bunny status` in another process."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from daemon.store import MODELS, Meta

DISK_KEY = "disk"
CLUSTERED_KEY = "clustered_at"
WEB_KEY = "web_address"


@dataclass(frozen=True)
class DiskReading:
    path: str  # the library
    free_bytes: int
    floor_bytes: int  # 0: the guard is off
    at: datetime

    @property
    def paused(self) -> bool:
        return self.free_bytes < self.floor_bytes


class DaemonStateStore:
    def save_disk_reading(self, reading: DiskReading) -> None:
        value = asdict(reading) | {"at": reading.at.isoformat()}
        Meta.replace(key=DISK_KEY, value=json.dumps(value)).execute()

    def disk_reading(self) -> DiskReading | None:
        row = Meta.get_or_none(Meta.key == DISK_KEY)
        if row is None:
            return None
        raw = json.loads(row.value)
        return DiskReading(
            path=str(raw["path"]),
            free_bytes=int(raw["free_bytes"]),
            floor_bytes=int(raw["floor_bytes"]),
            at=datetime.fromisoformat(raw["at"]),
        )

    def save_clustered_at(self, at: datetime) -> None:
        """When unknown faces were last clustered: a restart keeps the schedule."""
        Meta.replace(key=CLUSTERED_KEY, value=at.isoformat()).execute()

    def clustered_at(self) -> datetime | None:
        row = Meta.get_or_none(Meta.key == CLUSTERED_KEY)
        return None if row is None else datetime.fromisoformat(row.value)

    def save_web_address(self, url: str | None) -> None:
        """Where the running daemon serves the review page (None: it serves none)."""
        if url is None:
            Meta.delete().where(Meta.key == WEB_KEY).execute()
        else:
            Meta.replace(key=WEB_KEY, value=url).execute()

    def web_address(self) -> str | None:
        row = Meta.get_or_none(Meta.key == WEB_KEY)
        return None if row is None else str(row.value)

    def table_sizes(self) -> dict[str, int]:
        """Rows in each table: the library's size, beside the benchmarks' figures."""
        return {model._meta.table_name: int(model.select().count()) for model in MODELS}
