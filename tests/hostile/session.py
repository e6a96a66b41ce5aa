"""One run of the hostile suite: make every input, start one real daemon, drop them all at
once, wait (bounded) until each has its outcome, gather the evidence, stop the daemon."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from tests.hostile import evidence
from tests.hostile.catalogue import SETTLED, InputSpec, Kind, Materials, Outcome
from tests.hostile.daemon_run import NOBODY, RESCAN_MINUTES, HostileDaemon, Variant
from tests.hostile.drop import Drop
from tests.hostile.inbox_view import DatabaseView, TreeView
from tests.hostile.inputs import inputs_for
from tests.hostile.makers import fill_sentinel
from tests.hostile.outcomes import Identity, Observation, fingerprint, locate, observe
from tests.hostile.run_report import RunReport

WAIT_SECONDS = 150.0  # from the drop until every input must have its outcome
START_SECONDS = 60.0
STATUS_EVERY_SECONDS = 10.0
# After the last outcome: long enough for a full rescan to meet every input again.
GRACE_SECONDS = RESCAN_MINUTES * 60 + 3


class HostileRun:
    def __init__(
        self, root: Path, variant: Variant, clips: Path, face: Path | None, hashes: dict[str, str]
    ) -> None:
        self.root, self.variant = root, variant
        self.inbox, self.library = root / "inbox", root / "library"
        self.materials = Materials(clips, root / "sentinel", face, hashes=hashes)
        self.specs = [
            item
            for item in inputs_for(variant is Variant.UNPRIVILEGED, face is not None)
            if face is not None or not item.needs_face
        ]
        self.daemon = HostileDaemon(root, variant)
        self.status_failures: list[str] = []

    def run(self) -> RunReport:
        for folder in (self.inbox / "movies", self.inbox / "faces", self.root / "home"):
            folder.mkdir(parents=True)
        fill_sentinel(self.materials)
        drop = Drop(self.root, self.inbox, self.materials, self.specs)
        drop.stage()
        if self.variant is Variant.UNPRIVILEGED:
            _chown_tree(self.root, NOBODY)
            drop.lock()
        self.daemon.start()
        try:
            self._wait_until_ready()
            identities = drop.release(NOBODY if self.variant is Variant.UNPRIVILEGED else None)
            skip = [self.inbox, self.library, self.root / "stage", self.root / "stderr.log"]
            outside = evidence.snapshot(self.root, skip, self.daemon.temp)
            return self._watch(identities, outside, skip)
        finally:
            self.daemon.stop()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self.daemon.alive():
            if self.daemon.status_says_running()[0]:
                return
            time.sleep(0.5)
        raise AssertionError(f"the daemon did not start: {self._stderr_tail()}")

    def _watch(
        self, identities: list[Identity], outside: dict[str, tuple[object, ...]], skip: list[Path]
    ) -> RunReport:
        started = time.monotonic()
        settled = self._wait_for_outcomes(identities, started)
        log_size = _size(self.library / "logs" / "bunny.log")
        if self.daemon.alive():
            time.sleep(GRACE_SECONDS)
        observations = self._observe_at_rest(identities)
        log = evidence.read_log(self.library / "logs")
        for identity in identities:
            observations[identity.spec.key] = _with_log_faults(
                identity.spec, observations[identity.spec.key], log.entries
            )
        late = evidence.read_log_after(self.library / "logs" / "bunny.log", log_size)
        status = self.daemon.command("status")
        logs = self.daemon.command("logs", "-n", "1000")
        return RunReport(
            variant=self.variant,
            tried=[identity.spec for identity in identities],
            observations=observations,
            settled_seconds=None if settled is None else round(settled - started, 1),
            daemon_alive=self.daemon.alive(),
            daemon_exit=self.daemon.exit_code(),
            status_failures=self.status_failures,
            status_final=self.daemon.status_says_running(),
            terminal_output=status.stdout + logs.stdout,
            outside_changes=evidence.changes(
                outside, evidence.snapshot(self.root, skip, self.daemon.temp)
            ),
            altered=self._altered(identities),
            copies=self._copies(identities),
            oversized_reasons=evidence.oversized_reasons(self.inbox / "rejected"),
            log_problems=log.problems,
            errors_after_settle=evidence.error_lines(late),
            stderr_tail=self._stderr_tail(),
            memory=self.daemon.memory(),
        )

    def _wait_for_outcomes(self, identities: list[Identity], started: float) -> float | None:
        last_status = started
        while time.monotonic() - started < WAIT_SECONDS and self.daemon.alive():
            observations = self._observe(identities)
            if all(_settled(i.spec, observations[i.spec.key]) for i in identities):
                return time.monotonic()
            if time.monotonic() - last_status >= STATUS_EVERY_SECONDS:
                last_status = time.monotonic()
                running, said = self.daemon.status_says_running()
                if not running:
                    self.status_failures.append(f"{last_status - started:.0f} s: {said}")
            time.sleep(1.0)
        return None

    def _observe(self, identities: list[Identity]) -> dict[str, Observation]:
        tree = TreeView.of(self.inbox)
        db = DatabaseView.of(self.library / "bunny.db")
        return {i.spec.key: observe(i, self.inbox, tree, db) for i in identities}

    def _observe_at_rest(self, identities: list[Identity]) -> dict[str, Observation]:
        """A look between a move aside and its reason file is looked at again."""
        observations = self._observe(identities)
        rejected = self.inbox / "rejected"
        if any(
            o.outcome is Outcome.PENDING
            and o.where is not None
            and o.where.is_relative_to(rejected)
            for o in observations.values()
        ):
            time.sleep(2.0)
            observations = self._observe(identities)
        return observations

    def _altered(self, identities: list[Identity]) -> list[str]:
        tree = TreeView.of(self.inbox)
        found = []
        for identity in identities:
            places = locate(identity, tree)
            if not places:
                found.append(f"{identity.spec.key}: gone")
            elif (
                identity.fingerprint
                and identity.link_target is None
                and fingerprint(places[0]) != identity.fingerprint
            ):
                found.append(f"{identity.spec.key}: its bytes changed at {places[0]}")
        return found

    def _copies(self, identities: list[Identity]) -> list[str]:
        """A dropped file must be moved, never copied (a copy is a second, stray one)."""
        inodes = {identity.inode for identity in identities}
        found = []
        for folder in (self.inbox / "rejected", self.inbox / "done"):
            for path in TreeView.of(folder).paths() if folder.is_dir() else []:
                info = path.lstat()
                if path.name.endswith(".reason.txt") or info.st_ino in inodes:
                    continue
                if not stat.S_ISREG(info.st_mode):
                    continue  # a link made again (a relative one, moved), a folder
                found.append(str(path.relative_to(self.inbox)))
        return found

    def _stderr_tail(self) -> str:
        path = self.root / "stderr.log"
        return path.read_bytes()[-3000:].decode("utf-8", "replace") if path.exists() else ""


def _settled(spec: InputSpec, observation: Observation) -> bool:
    return observation.outcome in SETTLED or (
        observation.outcome is Outcome.LEFT_ALONE and Outcome.LEFT_ALONE in spec.expected
    )


def _with_log_faults(
    spec: InputSpec, observation: Observation, entries: list[dict[str, object]]
) -> Observation:
    """A folder the daemon cannot read is left alone, but not silently."""
    if spec.kind is not Kind.FOLDER or not spec.locked:
        return observation
    name = Path(spec.where).name
    if evidence.mentions(entries, name, frozenset({"warning", "error"})):
        return observation
    fault = f"no warning or error in the log names {name!r}"
    return Observation(observation.outcome, observation.where, observation.detail, (fault,))


def _chown_tree(root: Path, uid: int) -> None:
    os.lchown(root, uid, uid)
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            os.lchown(Path(folder) / name, uid, uid)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
