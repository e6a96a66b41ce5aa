"""Dropping the inputs: files are made in a staging folder beside the inbox and moved in,
all at once; FIFOs, links and the growing file are made in the live inbox."""

from __future__ import annotations

import os
from pathlib import Path

from tests.hostile.catalogue import InputSpec, Materials
from tests.hostile.inbox_view import TreeView
from tests.hostile.outcomes import Identity, identify, locate

DROP_FOLDERS = ("movies", "faces")


class Drop:
    def __init__(
        self, root: Path, inbox: Path, materials: Materials, specs: list[InputSpec]
    ) -> None:
        self.stage_root, self.inbox = root / "stage", inbox
        self.materials, self.specs = materials, specs
        self._staged: dict[str, Identity] = {}

    def stage(self) -> None:
        for folder in DROP_FOLDERS:
            (self.stage_root / folder).mkdir(parents=True)
        for spec in self.specs:
            staged = self.stage_root / spec.where
            staged.parent.mkdir(parents=True, exist_ok=True)
            if not spec.in_place:
                spec.make(staged, self.materials)
                self._staged[spec.key] = identify(
                    spec, self.inbox / spec.where, staged, self.materials.hashes
                )

    def lock(self) -> None:
        """Locked inputs become root's and unreadable to anyone else."""
        for spec in self.specs:
            if spec.locked:
                path = self.stage_root / spec.where
                for folder, dirs, files in os.walk(path):
                    for name in (*dirs, *files):
                        os.lchown(Path(folder) / name, 0, 0)
                os.lchown(path, 0, 0)
                path.chmod(spec.lock_mode)

    def release(self, owner: int | None) -> list[Identity]:
        """Move the staged files in, make the live ones; returns every input's identity."""
        for folder in DROP_FOLDERS:
            for entry in sorted((self.stage_root / folder).iterdir()):
                entry.rename(self.inbox / folder / entry.name)
        live: dict[str, Identity] = {}
        for spec in self.specs:
            if spec.in_place:
                target = self.inbox / spec.where
                spec.make(target, self.materials)
                live[spec.key] = identify(spec, target, target, self.materials.hashes)
        if owner is not None:
            self._hand_over(owner)
        for writer in self.materials.writers:
            writer.join(timeout=60)
        live = {key: self._reread(identity) for key, identity in live.items()}
        return [self._staged.get(spec.key) or live[spec.key] for spec in self.specs]

    def _hand_over(self, owner: int) -> None:
        """What was made in the live inbox becomes the unprivileged user's, as if made by it."""
        locked = [self.inbox / spec.where for spec in self.specs if spec.locked]
        for folder, dirs, files in os.walk(self.inbox):
            dirs[:] = [d for d in dirs if Path(folder) / d not in locked]
            for name in (*dirs, *files):
                path = Path(folder) / name
                if path not in locked and path.lstat().st_uid == 0:
                    os.lchown(path, owner, owner)

    def _reread(self, identity: Identity) -> Identity:
        """A file written in place (a growing one) is known by its final bytes."""
        if identity.sha256 is None or identity.link_target is not None:
            return identity
        places = locate(identity, TreeView.of(self.inbox))
        assert places, f"{identity.spec.key}: gone before it was complete"
        return identify(identity.spec, identity.path, places[0], {})
