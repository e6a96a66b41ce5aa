"""The daemon: watcher, settle gate, intake, worker threads and scheduler, put together.

`Daemon.run()` blocks until `stop()` (SIGINT/SIGTERM, a service stop) or, with once=True,
until everything in the inbox has ended done, rejected or failed.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from daemon.config import Config, ConfigError
from daemon.dataset_corrections import DatasetCorrections
from daemon.face_clusters import MovedClusters, UnknownFaceClusters
from daemon.inbox import InboxLayout
from daemon.instance_lock import InstanceLock
from daemon.intake import IntakeSettings, MovieIntake
from daemon.movie_summary import write_movie_summary
from daemon.pipeline import Pipeline, PipelineSettings
from daemon.references import ReferenceIntake, refresh_references
from daemon.repository import Repository
from daemon.resilience import BreakerBoard
from daemon.scheduler import (
    CORRECTIONS_SECONDS,
    HEARTBEAT_SECONDS,
    PeriodicJob,
    build_scheduler,
)
from daemon.settle import SettleGate
from daemon.store import MovieState, utcnow
from daemon.training.trigger import POLL_SECONDS as TRAINING_POLL_SECONDS
from daemon.training.trigger import TrainingJob
from daemon.watcher import InboxWatcher
from handlers.faces import ReferenceBook
from handlers.near_duplicates import NearDuplicateIndex
from handlers.registry import (
    StageServices,
    build_handlers,
    stage_order_problem,
    stages_needing,
)

EXIT_OK = 0
EXIT_MOVIE_FAILED = 1


@dataclass
class _RunTally:
    """Outcomes of this process's pipeline passes, for `run --once`'s exit status."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    unfinished: set[str] = field(default_factory=set)


class Daemon:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self._tally = _RunTally()
        self._refresh_lock = threading.Lock()
        # Adopting moved cluster folders and clustering run on two scheduler threads.
        self._clusters_lock = threading.Lock()
        self._log = structlog.get_logger("daemon")
        problem = stage_order_problem(config.pipeline.stages)
        if problem:
            raise ConfigError(
                f"{config.source or 'built-in defaults'}: 'pipeline.stages' {problem}"
            )
        self.layout = InboxLayout(config.inbox)
        self._lock = InstanceLock(config.library / "bunny.lock")

    def stop(self) -> None:
        self.stop_event.set()
        self._wake.set()

    def run(self, once: bool = False) -> int:
        self._lock.acquire()
        try:
            return self._run(once)
        finally:
            self._lock.release()

    def _run(self, once: bool) -> int:
        config = self.config
        self.layout.create()
        config.library.mkdir(parents=True, exist_ok=True)
        repo = Repository(config.database_path)
        for movie in repo.requeue_abandoned():
            self._log.info("resuming a movie left running", movie=movie.key, stage=movie.stage)
        gate = SettleGate(config.watcher.quiet_seconds)
        watcher = InboxWatcher(
            [self.layout.movies, self.layout.faces], gate, config.watcher.temp_suffixes
        )
        intake = MovieIntake(repo, IntakeSettings(self.layout, config.watcher.follow_symlinks))
        book = ReferenceBook()
        self._references_changed(repo, book)
        self._references = ReferenceIntake(repo, self.layout, config.library, book)
        self._references_stamp = repo.references_stamp()
        pipeline = Pipeline(
            build_handlers(config, self._services(repo, book)),
            repo,
            PipelineSettings(
                library=config.library,
                inbox=self.layout,
                backoff_seconds=config.pipeline.retry_backoff_seconds,
                move_done_movies=config.after_done == "move",
                stage_delay_seconds=config.pipeline.stage_delay_seconds,
            ),
            self.stop_event,
        )
        self._install_signal_handlers()
        workers = [
            threading.Thread(
                target=self._work, args=(repo, pipeline), name=f"worker-{i}", daemon=True
            )
            for i in range(config.pipeline.workers)
        ]
        clusters = UnknownFaceClusters(repo, config.library, config.faces)
        corrections = DatasetCorrections(repo, config.library)
        moved = MovedClusters(
            repo, config.library, self._after_faces(), config.watcher.quiet_seconds
        )
        self._read_corrections(repo, corrections, moved)  # made while the daemon was down
        # `run --once` trains nothing: it ends when the inbox is done, and a run takes hours.
        training = None if once else TrainingJob(repo, config)
        scheduler = build_scheduler(
            [
                *(
                    [PeriodicJob("training", training.tick, TRAINING_POLL_SECONDS)]
                    if training
                    else []
                ),
                PeriodicJob("rescan", watcher.rescan, config.watcher.rescan_minutes * 60),
                PeriodicJob("heartbeat", repo.beat, HEARTBEAT_SECONDS),
                PeriodicJob(
                    "corrections",
                    lambda: self._read_corrections(repo, corrections, moved),
                    CORRECTIONS_SECONDS,
                ),
                PeriodicJob(
                    "cluster",
                    lambda: self._cluster(repo, clusters, moved),
                    config.faces.cluster_minutes * 60,
                ),
            ]
        )
        repo.beat()
        self._log.info(
            "daemon started",
            pid=os.getpid(),
            inbox=str(config.inbox),
            library=str(config.library),
            stages=list(config.pipeline.stages),
            once=once,
        )
        if not once:
            watcher.start()
        seen = watcher.rescan()
        self._log.info("inbox scanned", files=seen)
        scheduler.start()
        for worker in workers:
            worker.start()
        try:
            if training is not None:
                training.resume_unfinished()  # before any new run
            self._intake_loop(gate, intake, repo, until_idle=once)
            if once and not self.stop_event.is_set():
                self._read_corrections(repo, corrections, moved)
                self._cluster(repo, clusters, moved)
        finally:
            self.stop()
            watcher.stop()
            scheduler.shutdown(wait=False)
            stopping = self._stop_training(training)
            self._join(workers, repo)
            if stopping is not None:
                stopping.join()
            repo.clear_heartbeat()
            repo.close()
            self._log.info("daemon stopped")
        return EXIT_MOVIE_FAILED if once and self._tally.unfinished else EXIT_OK

    def _stop_training(self, training: TrainingJob | None) -> threading.Thread | None:
        """Workers get SIGTERM (a checkpoint at the end of their step) while the pipeline
        stops; one still running after the stop timeout is killed. Both resume at start."""
        if training is None:
            return None
        thread = threading.Thread(
            target=training.stop_all,
            args=(self.config.pipeline.stop_timeout_seconds,),
            name="training-stop",
        )
        thread.start()
        return thread

    def _services(self, repo: Repository, book: ReferenceBook) -> StageServices:
        # The breakers of a process that is gone say nothing of this one's.
        repo.clear_breaker_states()
        breakers = BreakerBoard(
            lambda provider, state: repo.save_breaker_state(provider, state.value)
        )
        return StageServices(self._duplicate_index(repo), book, breakers=breakers, captions=repo)

    def _duplicate_index(self, repo: Repository) -> NearDuplicateIndex:
        index = NearDuplicateIndex(self.config.quality.duplicate_distance)
        for frame, phash in repo.kept_frame_hashes():
            index.add(phash, frame)
        self._log.info("near-duplicate index loaded", frames=len(index))
        return index

    def _take_reference(self, path: Path, repo: Repository) -> None:
        if self._references.take(path):
            self._references_stamp = repo.references_stamp()
            self._references_changed(repo, self._references.book)

    def _references_changed(
        self, repo: Repository, book: ReferenceBook, just_finished: int | None = None
    ) -> None:
        """Match stored faces again; what depends on the labels runs again for each movie."""
        with self._refresh_lock:
            relabelled = refresh_references(repo, book, self.config.faces)
            repo.requeue_stages(relabelled, self._after_faces(), busy_too=False)
            if just_finished is not None:
                # It ran its later stages on the labels of the moment; they run again.
                repo.requeue_stages({just_finished}, self._after_faces(), busy_too=True)
            for movie_id in relabelled:
                write_movie_summary(repo, self.config.library, movie_id)
        self._wake.set()
        names = [c.name for c in repo.characters()]
        self._log.info("references loaded", characters=names, relabelled_movies=len(relabelled))

    def _read_corrections(
        self, repo: Repository, corrections: DatasetCorrections, moved: MovedClusters
    ) -> None:
        """The user's changes to the library: deleted references, moved or deleted dataset
        images, cluster folders moved into characters/."""
        try:
            removed = repo.forget_missing_references(self.config.library)
            for file in removed:
                self._log.info("reference removed: its copy was deleted", reference=file)
            with self._clusters_lock:
                adopted = moved.run()
            corrected = corrections.run()
            # The corrected movies' datasets and captions are made again from the new labels.
            movies = {correction.movie_id for correction in corrected}
            repo.requeue_stages(movies, self._after_faces(), busy_too=False)
            if corrected or removed or adopted:
                self._reload_references(repo)
        except Exception:
            self._log.exception("reading corrections failed; they are read again next time")

    def _cluster(
        self, repo: Repository, clusters: UnknownFaceClusters, moved: MovedClusters
    ) -> None:
        try:
            with self._clusters_lock:
                # A folder moved since the last look is adopted before its faces are regrouped.
                adopted = moved.run()
                found = clusters.run()
        except Exception:
            self._log.exception("clustering unknown faces failed; it runs again next time")
            return
        sizes = {cluster: len(members) for cluster, members in found.items()}
        self._log.info("unknown faces clustered", clusters=sizes)
        if adopted:
            self._reload_references(repo)

    def _reload_references(self, repo: Repository) -> None:
        self._references_stamp = repo.references_stamp()
        self._references_changed(repo, self._references.book)

    def _watch_references(self, repo: Repository) -> None:
        """References added by another process (`bunny name`) are picked up here."""
        stamp = repo.references_stamp()
        if stamp != self._references_stamp:
            self._references_stamp = stamp
            self._references_changed(repo, self._references.book)

    def _after_faces(self) -> tuple[str, ...]:
        return stages_needing("faces", self.config.pipeline.stages)

    def _intake_loop(
        self, gate: SettleGate, intake: MovieIntake, repo: Repository, until_idle: bool
    ) -> None:
        poll = self.config.watcher.poll_seconds
        while not self.stop_event.is_set():
            for path in gate.due():
                try:
                    if path.is_relative_to(self.layout.faces):
                        self._take_reference(path, repo)
                    elif intake.take(path):
                        self._wake.set()
                except Exception as exc:
                    # The file is offered again by the next rescan.
                    self._log.error("could not take file", file=str(path), error=str(exc))
            self._watch_references(repo)
            if until_idle and self._idle(gate, repo):
                return
            self.stop_event.wait(poll)

    def _idle(self, gate: SettleGate, repo: Repository) -> bool:
        # A claim turns queued into running in one transaction, so a movie between the two
        # is never missed: no worker bookkeeping is needed.
        return gate.pending() == 0 and repo.count_unfinished(utcnow()) == 0

    def _work(self, repo: Repository, pipeline: Pipeline) -> None:
        while not self.stop_event.is_set():
            try:
                movie = repo.claim_next(utcnow())
                if movie is not None:
                    seen = self._references.book.generation
                    state = pipeline.process(movie)
                    self._note(movie.key, state)
                    if self._references.book.generation != seen:
                        # References changed while this movie's faces were being matched:
                        # its faces, now stored, are matched again like everyone else's.
                        self._references_changed(repo, self._references.book, movie.id)
            except Exception:
                self._log.exception("worker error; it goes on with the next movie")
                movie = None
            if movie is None:
                self._wake.wait(self.config.watcher.poll_seconds * 2)
                self._wake.clear()

    def _note(self, key: str, state: MovieState) -> None:
        with self._tally.lock:
            if state in (MovieState.FAILED, MovieState.WAITING):
                self._tally.unfinished.add(key)
            else:
                self._tally.unfinished.discard(key)

    def _join(self, workers: list[threading.Thread], repo: Repository) -> None:
        deadline = self.config.pipeline.stop_timeout_seconds
        for worker in workers:
            worker.join(timeout=deadline / max(1, len(workers)))
        if any(w.is_alive() for w in workers):
            # A stage that ignores cancellation: leave it, and requeue its movie for next time.
            for movie in repo.requeue_abandoned():
                self._log.warning("stage still running at stop; requeued", movie=movie.key)

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # the Windows service stops us through stop()

        def handle(signum: int, _frame: object) -> None:
            self._log.info("stop requested", signal=signal.Signals(signum).name)
            self.stop()

        signals: list[Callable[..., object] | int] = [signal.SIGINT, signal.SIGTERM]
        if hasattr(signal, "SIGBREAK"):
            signals.append(signal.SIGBREAK)
        for signum in signals:
            signal.signal(signum, handle)  # type: ignore[arg-type]
