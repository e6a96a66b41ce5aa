"""A correction in words, as the page's undo button and its answers say it."""

from __future__ import annotations

from daemon.characters.face_review import ReviewDone
from daemon.repository import DropRecord, ReviewRecord
from daemon.store import ReviewAction

REVIEW_WORDS = {
    ReviewAction.TO_CHARACTER: "named {target}",
    ReviewAction.TO_CLUSTER: "put in cluster {target}",
    ReviewAction.TO_NOISE: "set aside in the noise bucket",
    ReviewAction.IGNORE_CLUSTER: "ignored (cluster {target})",
    ReviewAction.MERGE_CLUSTERS: "merged into cluster {target}",
}


def drop_text(drop: DropRecord) -> str:
    count = len(drop.moves)
    images = f"{count} image{'s' if count != 1 else ''}"
    sources = sorted({move.image.character for move in drop.moves})
    origin = ", ".join(sources)
    if drop.target.startswith("character:"):
        return f"{images} of {origin} moved to {drop.target.removeprefix('character:')}"
    return f"{images} taken out of {origin}'s dataset (not this person)"


def correction_text(made: DropRecord | ReviewDone | ReviewRecord) -> str:
    """Either log's entry: a drop of dataset images, or a change of faces."""
    if isinstance(made, DropRecord):
        return drop_text(made)
    if isinstance(made, ReviewRecord):
        action, target, count = made.change.action, made.change.target, len(made.change.after)
    else:
        action, target, count = made.action, made.target, made.faces
    faces = f"{count} face{'s' if count != 1 else ''}"
    return f"{faces} {REVIEW_WORDS[action].format(target=target)}"
