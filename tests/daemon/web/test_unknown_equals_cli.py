"""Naming a cluster on the page equals `bunny name`: two libraries built the same way, one
named through the page, one through the command line; the same rows, the same files under
library/, the same corrections and triplets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from daemon.commands.cli import main
from daemon.config import Config
from daemon.repository import Repository
from daemon.store import (
    AdoptionIntent,
    Character,
    FaceRow,
    Movie,
    PlannedReferenceRow,
    ReferenceFace,
    StageRun,
)
from tests.daemon.characters.library_snapshot import library_files
from tests.daemon.web.page_server import csrf_token, library_config, served
from tests.daemon.web.unknown_library import build_unknown_library

NAME = "Zoé"
# The database and what every process writes beside it (its log, locks, thumbnails).
NOT_LIBRARY_CONTENT = ("bunny.db", "logs/", ".cache/", "adoption.lock")


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, list[tuple[object, ...]]]
    corrections: list[tuple[object, ...]]
    triplets: list[dict[str, object]]
    files: dict[str, str]  # relative path: sha256


def snapshot(config: Config) -> Snapshot:
    repo = Repository(config.database_path, read_only=True)
    try:
        tables = {
            "face": [
                (r.id, r.character.name if r.character else None, r.distance, r.runner_up,
                 r.cluster, r.confirmed, r.review)
                for r in FaceRow.select().order_by(FaceRow.id)
            ],
            "character": [
                (r.name, r.trigger_word, r.class_word)
                for r in Character.select().order_by(Character.name)
            ],
            "reference": [
                (r.character.name, r.sha256, r.file, r.top, r.right, r.bottom, r.left,
                 bytes(r.encoding))
                for r in ReferenceFace.select().order_by(ReferenceFace.sha256)
            ],
            "adoption": [
                (r.cluster, r.character.name, r.faces, r.filed_from, r.filed_to, r.crops,
                 r.finished_at is not None)
                for r in AdoptionIntent.select()
            ],
            "planned_reference": [(r.file,) for r in PlannedReferenceRow.select()],
            "stage_run": [
                (r.movie_id, r.stage, r.status, r.result)
                for r in StageRun.select().order_by(StageRun.id)
            ],
            "movie": [(r.sha256, r.state) for r in Movie.select()],
        }  # fmt: skip
        corrections = [
            (c.kind, c.frame, c.from_character, c.to_character, c.file_before, c.file_after)
            for c in repo.corrections()
        ]
        return Snapshot(
            tables,
            corrections,
            repo.correction_triplets(),
            library_files(config.library, NOT_LIBRARY_CONTENT),
        )
    finally:
        repo.close()


def named_on_the_page(root: Path) -> tuple[str, Snapshot]:
    config = library_config(root)
    cluster = build_unknown_library(config).clusters[0]
    with served(config) as page, page.client() as client:
        sent = client.post(
            f"/unknown/{cluster}/name", data={"csrf_token": csrf_token(client), "name": NAME}
        )
        assert sent.status_code == 303, sent.text
    return cluster, snapshot(config)


def named_by_the_command(root: Path) -> tuple[str, Snapshot]:
    config = library_config(root)
    cluster = build_unknown_library(config).clusters[0]
    assert main(["name", cluster, NAME, "--library", str(config.library)]) == 0
    return cluster, snapshot(config)


def test_naming_a_cluster_on_the_page_equals_bunny_name(tmp_path: Path) -> None:
    page_cluster, on_page = named_on_the_page(tmp_path / "page")
    cli_cluster, by_cli = named_by_the_command(tmp_path / "cli")
    assert page_cluster == cli_cluster
    assert on_page.tables == by_cli.tables
    assert on_page.files == by_cli.files
    assert on_page.corrections == by_cli.corrections
    assert on_page.triplets == by_cli.triplets
    # And it did name the cluster: five faces, five references with their files, no folder.
    named = [row for row in on_page.tables["face"] if row[1] == NAME]
    assert len(named) == 5 and all(row[5] for row in named)
    assert len(on_page.tables["reference"]) == 5
    assert sum(f.startswith(f"characters/{NAME}/reference/") for f in on_page.files) == 5
    assert not any(f.startswith(f"unknown/{page_cluster}/") for f in on_page.files)
