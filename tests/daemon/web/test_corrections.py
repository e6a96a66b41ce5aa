"""`/corrections` over a real server: the drop targets' fragment, drops, undo, refusals."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from daemon.config import Config
from daemon.repository import Repository
from tests.daemon.characters.drop_library import TwoCharacters, two_characters
from tests.daemon.characters.library_snapshot import library_files, library_rows
from tests.daemon.web.page_server import XSS, Served, csrf_token, library_config, served

COUNT = re.compile(r'data-count="(?P<name>[^"]+)">(?P<count>\d+)<')


def library(root: Path) -> tuple[Config, TwoCharacters, dict[str, int]]:
    """Ann (2 images) and Bea (1); returns each image's id by file."""
    config = library_config(root)
    repo = Repository(config.database_path)
    try:
        made = two_characters(repo, config.library)
        ids = {file: made.image_id(repo, file) for file in made.ann + made.bea}
    finally:
        repo.close()
    return config, made, ids


def counts(client: httpx.Client) -> dict[str, int]:
    fragment = client.get("/corrections/targets")
    assert fragment.status_code == 200
    return {m["name"]: int(m["count"]) for m in COUNT.finditer(fragment.text)}


def drop(client: httpx.Client, token: str, items: list[str], target: str) -> httpx.Response:
    form = {"item": items, "target": target}
    return client.post("/corrections", data=form, headers={"X-CSRF-Token": token})


def test_the_fragment_lists_every_character_and_the_other_targets(tmp_path: Path) -> None:
    config, _, _ = library(tmp_path)
    repo = Repository(config.database_path)
    repo.save_character(XSS, "xss", "person")
    repo.close()
    with served(config) as page, page.client() as client:
        fragment = client.get("/corrections/targets").text
        assert counts(client) == {"Ann": 2, "Bea": 1, "&lt;img src=x onerror=alert(1)&gt;": 0}
        for target in ("character:Ann", "character:Bea", "not-this-person", "noise"):
            assert f'data-drop="{target}"' in fragment
        assert XSS not in fragment and "&lt;img src=x onerror=alert(1)&gt;" in fragment
        assert "No correction to undo" in fragment


def test_a_drop_moves_the_images_and_undo_puts_them_back(tmp_path: Path) -> None:
    config, made, ids = library(tmp_path)
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        items = [f"image:{ids[file]}" for file in made.ann]
        response = drop(client, token, items, "character:Bea")
        assert response.status_code == 200, response.text
        assert response.headers["HX-Trigger"] == "corrections-changed"
        assert response.text == "2 images of Ann moved to Bea"
        assert counts(client) == {"Ann": 0, "Bea": 3}
        for file in made.ann:
            assert (config.library / "characters/Bea/dataset" / Path(file).name).is_file()
        assert [e.to_character for e in page.repo.corrections()] == ["Bea", "Bea"]
        assert "Undoes: 2 images of Ann moved to Bea" in client.get("/corrections/targets").text

        undo = client.post("/corrections/undo", headers={"X-CSRF-Token": token})
        assert undo.status_code == 200 and undo.text.startswith("undone: 2 images")
        assert counts(client) == {"Ann": 2, "Bea": 1}
        assert all((config.library / file).is_file() for file in made.ann)
        again = client.post("/corrections/undo", headers={"X-CSRF-Token": token})
        assert (again.status_code, again.text) == (409, "no correction to undo")


def test_not_this_person_takes_the_image_out_of_the_dataset(tmp_path: Path) -> None:
    config, made, ids = library(tmp_path)
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        response = drop(client, token, [f"image:{ids[made.bea[0]]}"], "not-this-person")
        assert response.status_code == 200, response.text
        assert "taken out of Bea's dataset" in response.text
        assert counts(client)["Bea"] == 0 and not (config.library / made.bea[0]).exists()
        (entry,) = page.repo.corrections()
        assert (entry.kind.value, entry.to_character) == ("deleted", None)


def unchanged(page: Served) -> tuple[object, ...]:
    return library_files(page.config.library), library_rows(page.config.database_path)


def test_bad_drops_are_refused_and_change_nothing(tmp_path: Path) -> None:
    config, made, ids = library(tmp_path)
    ann = f"image:{ids[made.ann[0]]}"
    cases = [
        ([ann, "image:999"], "character:Bea", 400, "no dataset image with id 999"),
        (["image:x"], "character:Bea", 400, "not an item"),
        ([], "character:Bea", 400, "no item"),
        ([ann], "character:", 400, "not a drop target"),
        ([ann], "somewhere", 400, "not a drop target"),
        ([ann], "character:Nobody", 400, "no character named 'Nobody'"),
        ([ann], "character:Ann", 400, "Ann's already"),
        ([ann] * 501, "character:Bea", 400, "at most 500"),
        (["face:999999"], "character:Bea", 400, "no face with id 999999"),
        ([ann, "face:1"], "character:Bea", 400, "drop dataset images and faces separately"),
        ([ann], "noise", 400, "a dataset image goes onto a character"),
        ([ann], "cluster:3", 400, "a dataset image goes onto a character"),
    ]
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        before = unchanged(page)
        for items, target, status, text in cases:
            response = drop(client, token, items, target)
            assert (response.status_code, text in response.text) == (status, True), (
                items[:2], target, response.text,
            )  # fmt: skip
        assert unchanged(page) == before
        assert page.repo.last_drop() is None


def test_changes_need_the_token_and_a_page_that_may_change(tmp_path: Path) -> None:
    config, made, ids = library(tmp_path)
    ann = f"image:{ids[made.ann[0]]}"
    with served(config) as page, page.client() as client:
        csrf_token(client)
        before = unchanged(page)
        assert drop(client, "x" * 43, [ann], "character:Bea").status_code == 403
        no_token = client.post("/corrections", data={"item": ann, "target": "character:Bea"})
        assert no_token.status_code == 403
        assert client.post("/corrections/undo").status_code == 403
        assert unchanged(page) == before
    with served(config, read_only=True) as page, page.client() as client:
        token = csrf_token(client)
        refused = drop(client, token, [ann], "character:Bea")
        assert refused.status_code == 403 and "read-only" in refused.text
        undo = client.post("/corrections/undo", headers={"X-CSRF-Token": token})
        assert undo.status_code == 403
        assert "Read-only: drops are refused" in client.get("/corrections/targets").text
        assert unchanged(page) == before


def test_faces_go_to_the_face_review_and_undo_takes_the_newest_of_both_logs(
    tmp_path: Path,
) -> None:
    config, made, ids = library(tmp_path)
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        bea_face = next(f for f in page.repo.stored_faces() if f.character == "Bea")
        into_noise = drop(client, token, [f"face:{bea_face.id}"], "noise")
        assert into_noise.status_code == 200, into_noise.text
        assert "1 face set aside in the noise bucket" in into_noise.text
        review = page.repo.last_review()
        assert review is not None and review.change.target == "noise"
        moved = drop(client, token, [f"image:{ids[made.ann[0]]}"], "character:Bea")
        assert moved.status_code == 200, moved.text
        assert "Undoes: 1 image of Ann moved to Bea" in client.get("/corrections/targets").text
        headers = {"X-CSRF-Token": token}
        first = client.post("/corrections/undo", headers=headers)
        assert first.status_code == 200 and "1 image of Ann moved to Bea" in first.text
        assert page.repo.last_drop() is None and page.repo.last_review() is not None
        second = client.post("/corrections/undo", headers=headers)
        assert second.status_code == 200 and "1 face set aside" in second.text
        assert page.repo.last_review() is None
        restored = next(f for f in page.repo.stored_faces() if f.id == bea_face.id)
        assert restored.character == "Bea"
