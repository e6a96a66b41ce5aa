"""The one door to the database: typed records in, typed records out.

Callers never see peewee rows or queries; each method is one small transaction. The door is
one class, `Repository`, put together from one part per subject so that no file holds them all.
"""

from __future__ import annotations

from pathlib import Path

import peewee as pw

from daemon.repository.adoption_records import (
    AdoptionPlan,
    CropFiling,
    FinishedAdoption,
    OpenAdoption,
    PlannedReference,
)
from daemon.repository.adoptions import AdoptionJournal
from daemon.repository.captions import BreakerRecord, CaptionProgress, CaptionStore
from daemon.repository.character_views import CharacterViews
from daemon.repository.corrections import CorrectionLog
from daemon.repository.daemon_state import DaemonStateStore, DiskReading
from daemon.repository.drop_records import (
    DropMove,
    DroppedImage,
    DropPlan,
    DropRecord,
    FaceLabel,
    TargetCount,
)
from daemon.repository.face_review import FaceReviewLog
from daemon.repository.face_review_records import (
    FaceState,
    FaceTile,
    FolderMove,
    NoiseReason,
    ReviewChange,
    ReviewRecord,
)
from daemon.repository.image_parts import PartLedger
from daemon.repository.images import ImageLedger
from daemon.repository.lineage_records import (
    ImageRows,
    LineageFace,
    LineageFrame,
    LineageImage,
    LineageScene,
    LineageShot,
    MovieSource,
)
from daemon.repository.lineage_rows import LineageRows
from daemon.repository.movie_views import MovieViews
from daemon.repository.page_drops import PageDropJournal
from daemon.repository.queue import MovieQueue
from daemon.repository.records import (
    MOVIE_KEY_LENGTH,
    CharacterSummary,
    CorrectionLogEntry,
    CorrectionRecord,
    FrameRecord,
    Heartbeat,
    InboxFileRecord,
    MovieFace,
    MovieRecord,
    Relabel,
    StageRunRecord,
    StoredFace,
    StoredImage,
    UnknownCluster,
)
from daemon.repository.stage_runs import StageLedger
from daemon.repository.training import RunEnd, TrainingLedger, TrainingRunRecord
from daemon.repository.unknown_views import UnknownViews
from daemon.repository.view_records import (
    DatasetEntry,
    FaceInFrame,
    FrameCounts,
    FrameView,
    ReferenceView,
    ShotView,
    StageClock,
)
from daemon.store import open_database
from handlers.caption_records import CharacterRecord

__all__ = [
    "MOVIE_KEY_LENGTH",
    "AdoptionPlan",
    "BreakerRecord",
    "CaptionProgress",
    "CharacterRecord",
    "CharacterSummary",
    "CorrectionLogEntry",
    "CorrectionRecord",
    "CropFiling",
    "DatasetEntry",
    "DiskReading",
    "DropMove",
    "DropPlan",
    "DropRecord",
    "DroppedImage",
    "FaceInFrame",
    "FaceLabel",
    "FaceState",
    "FaceTile",
    "FinishedAdoption",
    "FolderMove",
    "FrameCounts",
    "FrameRecord",
    "FrameView",
    "Heartbeat",
    "ImageRows",
    "InboxFileRecord",
    "LineageFace",
    "LineageFrame",
    "LineageImage",
    "LineageScene",
    "LineageShot",
    "MovieFace",
    "MovieRecord",
    "MovieSource",
    "NoiseReason",
    "OpenAdoption",
    "PlannedReference",
    "ReferenceView",
    "Relabel",
    "Repository",
    "ReviewChange",
    "ReviewRecord",
    "RunEnd",
    "ShotView",
    "StageClock",
    "StageRunRecord",
    "StoredFace",
    "StoredImage",
    "TargetCount",
    "TrainingRunRecord",
    "UnknownCluster",
]


class Repository(
    MovieQueue,
    AdoptionJournal,
    FaceReviewLog,
    UnknownViews,
    StageLedger,
    CorrectionLog,
    PageDropJournal,
    MovieViews,
    CharacterViews,
    LineageRows,
    CaptionStore,
    TrainingLedger,
    DaemonStateStore,
    ImageLedger,
    PartLedger,
):
    def __init__(self, path: Path, read_only: bool = False) -> None:
        """`read_only`: for the commands that only look (status, characters...): they work
        on a full disk and beside a running daemon, and never migrate."""
        self.path = path
        self._db: pw.SqliteDatabase = open_database(path, read_only)

    def close(self) -> None:
        self._db.close()
