"""What one movie's page shows: its header and stage timeline, a page of its contact sheet,
a page of its rejected frames and a page of its shots, read in one go off the event loop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from daemon.byte_sizes import readable_size
from daemon.commands.retry import RETRYABLE
from daemon.reports.movie_frames import KeptFrame, kept_frames, movie_shots, rejected_frames
from daemon.reports.movie_pages import MovieDetail, movie_detail
from daemon.reports.paging import Page, PageRequest
from daemon.repository import FrameView, Repository, ShotView
from daemon.web.contact_sheet import ContactSheet, contact_sheet


@dataclass(frozen=True)
class MovieAsk:
    """The pages asked for: of the contact sheet, the rejected frames and the shots."""

    kept: PageRequest
    rejected: PageRequest
    shots: PageRequest


@dataclass(frozen=True)
class MovieView:
    detail: MovieDetail
    sheet: ContactSheet
    kept: Page[KeptFrame]  # the sheet's frames as read; `sheet` is how they are drawn
    rejected: Page[FrameView]
    shots: Page[ShotView]

    @property
    def size_text(self) -> str:
        return readable_size(self.detail.size)

    @property
    def retryable(self) -> bool:
        """What `bunny retry` would requeue."""
        return self.detail.movie.state in RETRYABLE


def movie_view(
    repo: Repository,
    library: Path,
    key: str,
    stages: tuple[str, ...],
    ask: MovieAsk,
    now: datetime,
) -> MovieView | None:
    """None when no movie has this key."""
    detail = movie_detail(repo, library, key, stages, now)
    if detail is None:
        return None
    movie = repo.movie(detail.movie.id)
    kept = kept_frames(repo, movie, ask.kept)
    return MovieView(
        detail=detail,
        sheet=contact_sheet(kept.items, detail.frame_size),
        kept=kept,
        rejected=rejected_frames(repo, movie, ask.rejected),
        shots=movie_shots(repo, movie, ask.shots),
    )
