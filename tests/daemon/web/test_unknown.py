"""The unknown faces page over a real server: clusters and the noise bucket, a cluster's own
page, face thumbnails, and every change (name, merge, take out, ignore, name from the
bucket, undo) with its CSRF token, refused without it, on a read-only page, and for a
cluster that is not there; user names escaped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from daemon.repository import Repository
from tests.daemon.web.page_server import XSS, Served, csrf_token, library_config, served
from tests.daemon.web.unknown_library import UnknownLibrary, build_unknown_library

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@dataclass(frozen=True)
class Session:
    page: Served
    client: httpx.Client
    token: str
    built: UnknownLibrary

    def post(self, path: str, data: dict[str, str | list[str]] | None = None) -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})})

    def waiting(self) -> dict[str, int]:
        return {c.cluster: c.faces for c in self.page.repo.clusters_page(0, 100)}


def session_on(tmp_path: Path, read_only: bool = False) -> Iterator[Session]:
    config = library_config(tmp_path)
    built = build_unknown_library(config)
    with served(config, read_only=read_only) as page, page.client() as client:
        yield Session(page, client, csrf_token(client), built)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    yield from session_on(tmp_path)


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """One library for the tests that only look."""
    yield from session_on(tmp_path_factory.mktemp("unknown"))


def test_the_page_shows_clusters_as_grids_and_the_noise_bucket(shown: Session) -> None:
    text = shown.client.get("/unknown").text
    big, small = shown.built.clusters
    assert f'data-drop="cluster:{big}"' in text and f'data-drop="cluster:{small}"' in text
    assert text.index(big) < text.index(small), "largest first"
    assert text.count('data-item="face:') == 10  # 5 + 3 in clusters, 2 in the bucket
    assert 'data-drop="noise"' in text
    noise = text[text.index('id="noise"') :]
    assert f'data-item="face:{shown.built.loose}"' in noise
    assert f'data-item="face:{shown.built.unsure}"' in noise
    assert f'<img src="/unknown/faces/{shown.built.loose}/thumbnail"' in noise
    assert '<aside id="drop-targets" hx-get="/corrections/targets" hx-trigger="load">' in text
    assert '<script src="/static/drag.js" defer></script>' in text
    assert "Coming: this page is not built yet" not in text


def test_user_names_are_escaped(shown: Session) -> None:
    for path in ("/unknown", f"/unknown/{shown.built.clusters[0]}"):
        text = shown.client.get(path).text
        assert XSS not in text, path
        assert ESCAPED in text, path  # in the names offered, and the unsure match's note


def test_a_cluster_has_its_own_page_of_all_its_faces(shown: Session) -> None:
    big = shown.built.clusters[0]
    response = shown.client.get(f"/unknown/{big}")
    assert response.status_code == 200
    assert response.text.count('data-item="face:') == 5
    assert response.text.count('name="face"') == 5  # each can be taken out
    assert f'action="/unknown/{big}/merge"' in response.text
    assert shown.client.get("/unknown/c999999").status_code == 404
    assert shown.client.get("/unknown/not-a-cluster").status_code == 404


def test_pages_of_clusters_and_of_the_bucket(shown: Session) -> None:
    second = shown.client.get("/unknown?page=2&noise=2")
    assert second.status_code == 200
    assert 'data-item="face:' not in second.text  # 2 clusters and 2 faces fit on page 1
    for bad in ("page=0", "page=x", "noise=-1"):
        assert shown.client.get(f"/unknown?{bad}").status_code == 400, bad
    assert shown.client.get(f"/unknown/{shown.built.clusters[0]}?page=0").status_code == 400


def test_a_face_thumbnail_is_a_small_jpeg_of_the_face(shown: Session) -> None:
    from io import BytesIO

    from PIL import Image

    response = shown.client.get(f"/unknown/faces/{shown.built.loose}/thumbnail")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    with Image.open(BytesIO(response.content)) as picture:
        assert max(picture.size) <= 256
    cached = list((shown.page.config.library / ".cache" / "face-thumbnails").rglob("*.jpg"))
    assert len(cached) == 1
    assert shown.client.get("/unknown/faces/99999/thumbnail").status_code == 404


def test_naming_a_cluster_on_the_page(session: Session) -> None:
    big = session.built.clusters[0]
    response = session.post(f"/unknown/{big}/name", {"name": "Zed"})
    assert response.status_code == 303 and response.headers["location"] == "/unknown"
    assert big not in session.waiting()
    page = session.client.get("/unknown").text
    assert "5 faces of " + big + " are now Zed" in page
    assert 'data-drop="cluster:' + big not in page


def test_merging_two_clusters_keeps_the_id_of_the_one_merged_into(session: Session) -> None:
    big, small = session.built.clusters
    response = session.post(f"/unknown/{small}/merge", {"into": big})
    assert response.status_code == 303 and response.headers["location"] == f"/unknown/{big}"
    assert session.waiting() == {big: 8}
    assert session.post(f"/unknown/{big}/merge", {"into": "c999999"}).status_code == 400
    assert session.post(f"/unknown/{big}/merge", {}).status_code == 400


def test_taking_faces_out_puts_them_in_the_noise_bucket(session: Session) -> None:
    big = session.built.clusters[0]
    faces = [str(s.face_id) for s in session.page.repo.cluster_states(big)][:2]
    response = session.post(f"/unknown/{big}/take-out", {"face": faces})
    assert response.status_code == 303 and response.headers["location"] == f"/unknown/{big}"
    assert session.waiting()[big] == 3
    noise = session.client.get("/unknown").text.split('id="noise"')[1]
    assert all(f'data-item="face:{face}"' in noise for face in faces)
    assert session.post(f"/unknown/{big}/take-out", {}).status_code == 400
    assert session.post(f"/unknown/{big}/take-out", {"face": "x"}).status_code == 400


def test_ignoring_a_cluster_hides_its_faces(session: Session) -> None:
    big = session.built.clusters[0]
    faces = [s.face_id for s in session.page.repo.cluster_states(big)]
    response = session.post(f"/unknown/{big}/ignore")
    assert response.status_code == 303
    text = session.client.get("/unknown").text
    assert not any(f'data-item="face:{face}"' in text for face in faces)
    assert session.client.get(f"/unknown/faces/{faces[0]}/thumbnail").status_code == 404
    assert (session.page.config.library / "unknown" / ".ignored" / big).is_dir()


def test_naming_faces_from_the_bucket_and_undoing_it(session: Session) -> None:
    loose = str(session.built.loose)
    response = session.post("/unknown/noise/name", {"face": [loose], "name": "Ann"})
    assert response.status_code == 303
    (state,) = session.page.repo.face_states([int(loose)])
    assert state.character == "Ann" and state.confirmed
    assert "1 faces are now Ann" in session.client.get("/unknown").text
    assert session.post("/unknown/undo").status_code == 303
    (state,) = session.page.repo.face_states([int(loose)])
    assert state.character is None and not state.confirmed
    assert "undone: to character Ann" in session.client.get("/unknown").text
    assert session.post("/unknown/noise/name", {"face": [loose]}).status_code == 400


def test_changes_to_clusters_that_are_not_there_answer_404(session: Session) -> None:
    for action in ("name", "merge", "take-out", "ignore"):
        data = {"name": "Zed", "into": session.built.clusters[0], "face": "1"}
        assert session.post(f"/unknown/c999999/{action}", data).status_code == 404, action
        assert session.post(f"/unknown/nope/{action}", data).status_code == 404, action


def test_every_change_needs_the_csrf_token(session: Session) -> None:
    big = session.built.clusters[0]
    for path in (f"/unknown/{big}/name", f"/unknown/{big}/ignore", "/unknown/undo"):
        response = session.client.post(path, data={"name": "Zed"})
        assert response.status_code == 403 and "CSRF" in response.text, path
    assert big in session.waiting()


def test_a_read_only_page_shows_no_forms_and_refuses_changes(tmp_path: Path) -> None:
    for session in session_on(tmp_path, read_only=True):
        big = session.built.clusters[0]
        text = session.client.get("/unknown").text
        assert 'action="/unknown/' not in text and 'data-item="face:' in text
        response = session.post(f"/unknown/{big}/name", {"name": "Zed"})
        assert response.status_code == 403 and "read-only" in response.text
        assert big in session.waiting()


def test_a_name_made_of_markup_is_made_folder_safe_and_shown_as_text(session: Session) -> None:
    response = session.post(f"/unknown/{session.built.clusters[1]}/name", {"name": XSS})
    assert response.status_code == 303
    text = session.client.get("/unknown").text
    assert XSS not in text
    assert "are now img src=x onerror=alert(1)&#39;s" in text  # < and > cannot be in a name


def test_get_changes_nothing(session: Session) -> None:
    repo: Repository = session.page.repo
    before = repo.clusters_page(0, 10)
    for path in (
        "/unknown/c000001/name",
        "/unknown/undo",
        f"/unknown/{session.built.clusters[0]}/ignore",
    ):
        assert session.client.get(path).status_code in (404, 405), path
    assert repo.clusters_page(0, 10) == before
