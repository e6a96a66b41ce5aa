"""The daemon: watcher, settle gate, intake, worker threads and scheduler, put together.

`Daemon.run()` blocks until `stop()` (SIGINT/SIGTERM, a service stop) or, with once=True,
until everything in the inbox has ended done, rejected or failed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import structlog

from daemon.characters.upkeep import LibraryUpkeep, UpkeepHooks
from daemon.config import Config, ConfigError
from daemon.intake.image_batches import BatchSettings, ImageBatcher
from daemon.intake.images import ImageIntake
from daemon.intake.inbox import InboxLayout
from daemon.intake.movies import IntakeSettings, MovieIntake
from daemon.intake.partial_copies import PartialCopies
from daemon.intake.settle import SettleGate
from daemon.intake.unreadable import UnreadableNotices
from daemon.intake.watcher import InboxWatcher
from daemon.intake.workers import IntakeWorkers
from daemon.pipeline import Pipeline, PipelineSettings
from daemon.repository import Repository
from daemon.service.companions import Companion
from daemon.service.disk_guard import DiskGuard
from daemon.service.instance_lock import InstanceLock
from daemon.service.movie_workers import MovieWorkers, WorkerSettings
from daemon.service.scheduler import (
    CORRECTIONS_SECONDS,
    HEARTBEAT_SECONDS,
    PeriodicJob,
    build_scheduler,
    start_repeating,
)
from daemon.service.stage_services import build_stage_services
from daemon.service.stop_signals import StopSignals
from daemon.service.systemd_notify import SystemdNotifier
from daemon.store import utcnow
from daemon.training.trigger import TrainingJob
from handlers.face_detectors import detector_problem
from handlers.faces import ReferenceBook
from handlers.registry import build_handlers, image_part_handlers, stage_order_problem

EXIT_OK = 0
EXIT_MOVIE_FAILED = 1


class Daemon:
    def __init__(self, config: Config, companions: Sequence[Companion] = ()) -> None:
        self.config = config
        self._companions = tuple(companions)
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self._training: TrainingJob | None = None
        self._fatal: Exception | None = None
        self._notify = SystemdNotifier()
        self._signals = StopSignals()
        self._log = structlog.get_logger("daemon")
        problem = stage_order_problem(config.pipeline.stages)
        if problem:
            raise ConfigError(
                f"{config.source or 'built-in defaults'}: 'pipeline.stages' {problem}"
            )
        detector = detector_problem(config.faces.detector)
        if detector and "faces" in config.pipeline.stages:
            raise ConfigError(
                f"{config.source or 'built-in defaults'}: 'faces.detector' is "
                f"{config.faces.detector}, which {detector}"
            )
        self.layout = InboxLayout(config.inbox)
        self._lock = InstanceLock(config.library / "bunny.lock")

    def stop(self) -> None:
        self.stop_event.set()
        self._wake.set()

    def _fail(self, error: Exception) -> None:
        """An error on another thread that the daemon cannot go on from: it stops, and the
        main thread raises it."""
        self._fatal = error
        self.stop()

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
        self._disk = DiskGuard(config.library, config.disk, repo.save_disk_reading)
        self._disk.check()
        for movie in repo.requeue_abandoned():
            self._log.info("resuming a movie left running", movie=movie.key, stage=movie.stage)
        unreadable = UnreadableNotices()
        gate = SettleGate(config.watcher.quiet_seconds, unreadable=unreadable)
        partial = PartialCopies(config.watcher.quiet_seconds)
        watcher = InboxWatcher(
            [self.layout.movies, self.layout.images, self.layout.faces],
            gate,
            config.watcher.temp_suffixes,
            unreadable,
            offer_links_in=self.layout.images,
            partial=partial,
        )
        intake_settings = IntakeSettings(self.layout, config.watcher.follow_symlinks)
        intake = MovieIntake(repo, intake_settings, self.stop_event)
        image_intake = ImageIntake(repo, intake_settings, self.stop_event)
        takers = IntakeWorkers(lambda path: self._take(path, intake, image_intake), self.stop_event)
        batcher = ImageBatcher(
            repo,
            BatchSettings(
                self.layout.images, config.images.part_size, config.watcher.quiet_seconds
            ),
            lambda: [*gate.pending_paths(), *takers.pending_paths(), *partial.arriving()],
            self._wake.set,
        )
        book = ReferenceBook()
        # `run --once` trains nothing: it ends when the inbox is done, and a run takes hours.
        training = None if once else TrainingJob(repo, config, paused=self._disk.pause_reason)
        self._training = training
        upkeep = LibraryUpkeep(
            repo, config, self.layout, book, UpkeepHooks(self._wake.set, self._datasets_changed)
        )
        upkeep.recover()
        upkeep.references_changed()
        self._upkeep = upkeep
        services = build_stage_services(repo, config, book)
        handlers = build_handlers(config, services)
        pipeline = Pipeline(
            handlers,
            repo,
            PipelineSettings(
                library=config.library,
                inbox=self.layout,
                backoff_seconds=config.pipeline.retry_backoff_seconds,
                move_done_movies=config.after_done == "move",
                stage_delay_seconds=config.pipeline.stage_delay_seconds,
                no_space_retry_seconds=config.disk.check_seconds,
            ),
            self.stop_event,
            image_part_handlers(config, handlers),
        )
        self._signals.install()
        workers = MovieWorkers(
            repo,
            pipeline,
            upkeep,
            self._disk,
            WorkerSettings(
                count=config.pipeline.workers,
                idle_wait_seconds=config.watcher.poll_seconds * 2,
                release_retry_seconds=config.disk.check_seconds,
                stop_timeout_seconds=config.pipeline.stop_timeout_seconds,
            ),
            (self.stop_event, self._wake),
            self._datasets_changed,
        )
        upkeep.read_corrections()  # made while the daemon was down
        scheduler = build_scheduler(
            [
                *(
                    [PeriodicJob("training", training.tick, config.training.poll_seconds)]
                    if training
                    else []
                ),
                PeriodicJob("rescan", watcher.rescan, config.watcher.rescan_minutes * 60),
                PeriodicJob("heartbeat", lambda: self._beat(repo), HEARTBEAT_SECONDS),
                PeriodicJob("disk", self._disk.check, config.disk.check_seconds),
                PeriodicJob("corrections", upkeep.read_corrections, CORRECTIONS_SECONDS),
                PeriodicJob(
                    "cluster",
                    upkeep.cluster,
                    config.faces.cluster_minutes * 60,
                    first_in=upkeep.clustering_due_in(config.faces.cluster_minutes * 60),
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
        takers.start()
        watch = PeriodicJob(
            "references watch", upkeep.watch_references, config.watcher.poll_seconds
        )
        start_repeating(watch, self.stop_event, self._fail)
        parts = PeriodicJob("image parts", batcher.form, config.watcher.poll_seconds)
        start_repeating(parts, self.stop_event, self._fail)
        workers.start()
        try:
            for companion in self._companions:
                companion.start(repo)
            self._notify.ready(self._status_line(repo))
            if training is not None:
                training.resume_unfinished()  # before any new run
            self._intake_loop(gate, takers, repo, until_idle=once)
            if once and not self.stop_event.is_set():
                upkeep.read_corrections()
                upkeep.cluster()
        finally:
            self._notify.stopping()
            self.stop()
            for companion in self._companions:
                companion.stop()
            watcher.stop()
            scheduler.shutdown(wait=False)
            stopping = self._stop_training(training)
            takers.join(config.pipeline.stop_timeout_seconds)
            workers.join()
            services.close()  # after the stages: none is left waiting on a face worker
            if stopping is not None:
                stopping.join()
            repo.clear_heartbeat()
            repo.close()
        # Not in `finally`: a daemon ended by an exception says so where it is run (cli.py).
        self._log.info("daemon stopped")
        unfinished = workers.unfinished or self._disk.paused
        return EXIT_MOVIE_FAILED if once and unfinished else EXIT_OK

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

    def _datasets_changed(self) -> None:
        if self._training is not None:
            self._training.datasets_changed()

    def _intake_loop(
        self, gate: SettleGate, takers: IntakeWorkers, repo: Repository, until_idle: bool
    ) -> None:
        """The main thread: nothing here reads a file, so it always answers signals."""
        poll = self.config.watcher.poll_seconds
        while not self.stop_event.is_set():
            received = self._signals.received()
            if received is not None:
                self._log.info("stop requested", signal=received)
                self.stop()
                break
            for path in gate.due():
                takers.submit(path)
            self._notify.watchdog()
            if until_idle and (self._idle(gate, takers, repo) or self._disk.paused):
                return  # paused, `--once` could only wait: it ends, and says so by its status
            self.stop_event.wait(poll)
        if self._fatal is not None:
            raise self._fatal

    def _take(self, path: Path, intake: MovieIntake, images: ImageIntake) -> None:
        """On an intake thread."""
        if path.is_relative_to(self.layout.faces):
            self._upkeep.take_reference(path)
        elif path.is_relative_to(self.layout.images):
            images.take(path)
        elif intake.take(path):
            self._wake.set()

    def _idle(self, gate: SettleGate, takers: IntakeWorkers, repo: Repository) -> bool:
        # A file stays pending with the takers until its movie row is written, and a claim
        # turns queued into running in one transaction: no movie falls between the counts.
        pending = gate.pending() + takers.pending() + repo.count_waiting_images()
        return pending == 0 and repo.count_unfinished(utcnow()) == 0

    def _beat(self, repo: Repository) -> None:
        repo.beat()
        if self._notify.active:  # the line costs a query; only systemd reads it
            self._notify.status(self._status_line(repo))

    def _status_line(self, repo: Repository) -> str:
        """What `systemctl status` shows."""
        pause = self._disk.pause_reason()
        if pause is not None:
            return f"paused: {pause}"
        unfinished = repo.count_unfinished(utcnow())
        line = f"{unfinished} movie(s) to process" if unfinished else "idle: waiting for movies"
        training = [run.name for run in self._training.running] if self._training else []
        return line + "".join(f"; training {name}" for name in training)
