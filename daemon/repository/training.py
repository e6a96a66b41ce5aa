"""Training runs and `bunny train` requests, and why training waits (for `bunny status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daemon.store import Meta, TrainingRunRow, TrainingState, database, utcnow

TRAINING_WAIT_KEY = "training_wait"
ACTIVE_STATES = (TrainingState.REQUESTED, TrainingState.RUNNING, TrainingState.STOPPED)


@dataclass(frozen=True)
class TrainingRunRecord:
    id: int
    character: str
    version: int | None
    folder: str | None  # relative to the library
    state: TrainingState
    forced: bool
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    basis_images: int | None
    images: int | None
    steps: int | None
    final_loss: float | None
    error: str | None
    kills: int = 0  # of its worker, in a row with no new checkpoint (see run_outcomes.py)


@dataclass(frozen=True)
class RunEnd:
    state: TrainingState
    steps: int | None = None
    final_loss: float | None = None
    error: str | None = None


def _record(row: TrainingRunRow) -> TrainingRunRecord:
    return TrainingRunRecord(
        id=row.id,
        character=row.character,
        version=row.version,
        folder=row.folder,
        state=TrainingState(row.state),
        forced=bool(row.forced),
        requested_at=row.requested_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        basis_images=row.basis_images,
        images=row.images,
        steps=row.steps,
        final_loss=row.final_loss,
        error=row.error,
        kills=row.kills,
    )


def last_started(runs: list[TrainingRunRecord]) -> TrainingRunRecord | None:
    """Of one character's runs (oldest first), the newest that started or was refused."""
    return next((r for r in reversed(runs) if r.state is not TrainingState.REQUESTED), None)


def newest_basis(runs: list[TrainingRunRecord]) -> int | None:
    """Of one character's runs (oldest first), the basis of the newest finished model."""
    done = [r for r in runs if r.state is TrainingState.DONE]
    if not done:
        return None
    basis = done[-1].basis_images if done[-1].basis_images is not None else done[-1].images
    return int(basis) if basis is not None else None


class TrainingLedger:
    def request_training(self, character: str) -> TrainingRunRecord:
        """A request for a run by hand; one pending request per character."""
        with database.atomic("IMMEDIATE"):
            row = TrainingRunRow.get_or_none(
                (TrainingRunRow.character == character)
                & (TrainingRunRow.state == TrainingState.REQUESTED.value)
            )
            if row is None:
                row = TrainingRunRow.create(
                    character=character, state=TrainingState.REQUESTED.value, forced=True
                )
            return _record(row)

    def training_requests(self) -> list[TrainingRunRecord]:
        rows = (
            TrainingRunRow.select()
            .where(TrainingRunRow.state == TrainingState.REQUESTED.value)
            .order_by(TrainingRunRow.id)
        )
        return [_record(row) for row in rows]

    def training_started(
        self,
        character: str,
        version: int,
        folder: str,
        basis_images: int | None,
        images: int | None,
        request_id: int | None = None,
    ) -> TrainingRunRecord:
        """A new run (filling in its request, if any) or a resumed one is running."""
        fields = {
            "version": version,
            "folder": folder,
            "state": TrainingState.RUNNING.value,
            "finished_at": None,
            "error": None,
        }
        with database.atomic("IMMEDIATE"):
            row = self._run_row(character, version)
            if row is None and request_id is not None:
                row = TrainingRunRow.get_or_none(TrainingRunRow.id == request_id)
            if row is None:
                row = TrainingRunRow.create(character=character, state=TrainingState.RUNNING.value)
            if row.started_at is None:
                fields["started_at"] = utcnow()
            if basis_images is not None:
                fields["basis_images"] = basis_images
            if images is not None:
                fields["images"] = images
            TrainingRunRow.update(**fields).where(TrainingRunRow.id == row.id).execute()
            return _record(TrainingRunRow.get_by_id(row.id))

    def training_ended(self, character: str, version: int, end: RunEnd) -> None:
        fields: dict[str, object] = {"state": end.state.value, "error": end.error}
        if end.state is not TrainingState.STOPPED:
            fields["finished_at"] = utcnow()
        if end.steps is not None:
            fields["steps"] = end.steps
        if end.final_loss is not None:
            fields["final_loss"] = end.final_loss
        TrainingRunRow.update(**fields).where(
            (TrainingRunRow.character == character) & (TrainingRunRow.version == version)
        ).execute()

    def training_killed(self, character: str, version: int, checkpoint_step: int) -> int:
        """Count a kill of the run's worker; the count of kills in a row, where a kill after
        a checkpoint the last one had not reached starts the count again."""
        with database.atomic("IMMEDIATE"):
            row = self._run_row(character, version)
            if row is None:
                return 1
            progressed = row.killed_at_step is not None and checkpoint_step > row.killed_at_step
            kills = 1 if progressed else int(row.kills) + 1
            TrainingRunRow.update(kills=kills, killed_at_step=checkpoint_step).where(
                TrainingRunRow.id == row.id
            ).execute()
            return kills

    def training_refused(self, character: str, error: str, request_id: int | None) -> None:
        """A run the dataset's validation refused: the cooldown counts from now."""
        fields = {"state": TrainingState.REFUSED.value, "error": error, "finished_at": utcnow()}
        if request_id is not None:
            TrainingRunRow.update(**fields).where(TrainingRunRow.id == request_id).execute()
        else:
            TrainingRunRow.create(character=character, started_at=utcnow(), **fields)

    def training_runs(self) -> list[TrainingRunRecord]:
        """Every run and request, oldest first."""
        return [_record(row) for row in TrainingRunRow.select().order_by(TrainingRunRow.id)]

    def training_runs_of(self, character: str) -> list[TrainingRunRecord]:
        """The character's runs and requests, oldest first."""
        rows = (
            TrainingRunRow.select()
            .where(TrainingRunRow.character == character)
            .order_by(TrainingRunRow.id)
        )
        return [_record(row) for row in rows]

    def last_training_run(self, character: str) -> TrainingRunRecord | None:
        """The character's newest run that got as far as starting (or being refused)."""
        return last_started(self.training_runs_of(character))

    def trained_basis(self, character: str) -> int | None:
        """The captioned image count the character's newest model was decided on."""
        return newest_basis(self.training_runs_of(character))

    def save_training_wait(self, reason: str | None) -> None:
        """Why training waits (no GPU), kept for `bunny status` in another process."""
        if reason is None:
            Meta.delete().where(Meta.key == TRAINING_WAIT_KEY).execute()
        else:
            Meta.replace(key=TRAINING_WAIT_KEY, value=reason).execute()

    def training_wait(self) -> str | None:
        row = Meta.get_or_none(Meta.key == TRAINING_WAIT_KEY)
        return str(row.value) if row else None

    def _run_row(self, character: str, version: int) -> TrainingRunRow | None:
        return TrainingRunRow.get_or_none(
            (TrainingRunRow.character == character) & (TrainingRunRow.version == version)
        )
