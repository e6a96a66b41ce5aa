"""`bunny characters`, `bunny name` and `bunny corrections`: the characters as the database
knows them, a cluster adopted by hand, and the log of the user's corrections."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from daemon.atomic import write_text_atomic
from daemon.config import Config
from daemon.display_text import REASON_LIMIT, shown
from daemon.reports.character_overview import character_training, readiness_inputs, unknown_clusters
from daemon.reports.character_overview_text import cluster_row
from daemon.reports.disk_status import disk_line
from daemon.reports.status import EXIT_NO_DATABASE, EXIT_NO_MATCH, daemon_running, has_database
from daemon.repository import Repository
from daemon.store import utcnow


def print_characters(config: Config) -> int:
    """`bunny characters`: each character, its words, references, the frames it is in, its
    dataset and why its training waits; then the clusters of unknown faces to name."""
    if not has_database(config):
        return EXIT_NO_DATABASE
    repo = Repository(config.database_path, read_only=True)
    try:
        summaries = repo.character_summaries()
        now = utcnow()
        running = daemon_running(repo, now)
        inputs = readiness_inputs(now, running, disk_line(repo, config, running))
        training = {line.character: line for line in character_training(repo, config, inputs)}
        clusters = unknown_clusters(repo, config)
    finally:
        repo.close()
    if not summaries:
        print("no characters yet: drop reference photos into <inbox>/faces/<name>/")
    else:
        print(
            f"{'NAME':<24}  {'TRIGGER':<18}  {'CLASS':<10}  {'REFS':>4}  {'FRAMES':>6}  "
            f"{'IMAGES':>6}  {'CAPTIONED':>9}  TRAINING"
        )
    for c in summaries:
        line = training[c.name]
        counts = f"{line.captioned}/{line.threshold}"
        print(
            f"{shown(c.name):<24}  {shown(c.trigger_word):<18}  {shown(c.class_word):<10}  "
            f"{c.references:>4}  {c.frames:>6}  {line.images:>6}  {counts:>9}  {line.reason.value}"
        )
        print(f"{'':<24}  {shown(line.detail, REASON_LIMIT)}")
    print(("\n" if summaries else "") + cluster_row(clusters))
    return 0


def name_cluster(config: Config, cluster: str, name: str) -> int:
    """`bunny name CLUSTER NAME`: the cluster's faces become NAME's; its best become references."""
    from daemon.characters.adoption_lock import AdoptionBusyError
    from daemon.characters.face_clusters import adopt_cluster
    from handlers.registry import stages_needing

    if not has_database(config):
        return EXIT_NO_DATABASE
    later = stages_needing("faces", config.pipeline.stages)
    repo = Repository(config.database_path)
    try:
        count = adopt_cluster(repo, config.library, cluster, name, later)
    except (ValueError, AdoptionBusyError) as exc:
        print(f"bunny: {shown(str(exc), REASON_LIMIT)}", file=sys.stderr)
        return EXIT_NO_MATCH
    finally:
        repo.close()
    print(
        f"{count} faces of {shown(cluster)} are now {shown(name)}'s; "
        "the daemon matches the rest again"
    )
    return 0


def print_corrections(config: Config, triplets: Path | None) -> int:
    """`bunny corrections`: the log of moves and deletions; `--triplets FILE` exports them."""
    if not has_database(config):
        return EXIT_NO_DATABASE
    repo = Repository(config.database_path, read_only=True)
    try:
        entries = repo.corrections()
        rows = repo.correction_triplets() if triplets else []
    finally:
        repo.close()
    for e in entries:
        target = e.to_character or "(nobody)"
        undone = "  (undone)" if e.undone else ""
        print(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.kind.value:<7}  {shown(e.from_character)} -> "
              f"{shown(target)}  {shown(e.file_before)}{undone}")  # fmt: skip
    if not entries:
        print("no corrections yet: move or delete images in <library>/characters/*/dataset/")
    if triplets is not None:
        lines = [json.dumps(row) for row in rows]
        write_text_atomic(triplets, "\n".join(lines) + ("\n" if lines else ""))
        print(
            f"{len(rows)} (anchor, positive, negative) triplets written to {shown(str(triplets))}"
        )
    return 0
