"""What the stages share for the life of the daemon, wired to the database: the
near-duplicate index of kept frames, the reference faces, the caption providers' breakers
(their states saved for `bunny status`), the stored captions and the face workers."""

from __future__ import annotations

import structlog

from daemon.config import Config
from daemon.repository import Repository
from daemon.resilience import BreakerBoard
from handlers.face_workers import FaceWorkers
from handlers.faces import ReferenceBook
from handlers.near_duplicates import NearDuplicateIndex
from handlers.registry import StageServices


def build_stage_services(repo: Repository, config: Config, book: ReferenceBook) -> StageServices:
    # The breakers of a process that is gone say nothing of this one's.
    repo.clear_breaker_states()
    breakers = BreakerBoard(lambda provider, state: repo.save_breaker_state(provider, state.value))
    return StageServices(
        _duplicate_index(repo, config),
        book,
        breakers=breakers,
        captions=repo,
        face_workers=FaceWorkers(config.faces.process_count),
    )


def _duplicate_index(repo: Repository, config: Config) -> NearDuplicateIndex:
    index = NearDuplicateIndex(config.quality.duplicate_distance)
    for frame, phash in repo.kept_frame_hashes():
        index.add(phash, frame)
    structlog.get_logger("daemon").info("near-duplicate index loaded", frames=len(index))
    return index
