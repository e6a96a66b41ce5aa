"""Changes made on a character's page over a real server: reference photos uploaded through
the inbox's intake code (and refused as it refuses them), references removed without losing
the photo, captions edited into the `.txt` and `metadata.jsonl`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from PIL import Image

from daemon.repository import DatasetEntry, ReferenceView, Repository
from daemon.web.upload_body import MAX_UPLOAD_BYTES
from tests.conftest import HAMILTON
from tests.daemon.web.character_library import NINO, fill_library
from tests.daemon.web.page_server import Served, csrf_token, library_config, served

needs_faces = pytest.mark.skipif(not HAMILTON.exists(), reason=f"no face photos at {HAMILTON}")
NINO_PAGE = f"/characters/{quote(NINO, safe='')}"


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Served]:
    config = library_config(tmp_path)
    fill_library(config)
    with served(config) as serving:
        yield serving


@pytest.fixture
def client(page: Served) -> Iterator[httpx.Client]:
    with page.client() as sending:
        sending.headers["X-CSRF-Token"] = csrf_token(sending)
        yield sending


def references(page: Served) -> list[ReferenceView]:
    repo = Repository(page.config.database_path, read_only=True)
    try:
        return repo.references_of(NINO)
    finally:
        repo.close()


def nino_image(page: Served) -> DatasetEntry:
    repo = Repository(page.config.database_path, read_only=True)
    try:
        (entry,) = repo.dataset_page(NINO, 0, 10)
        return entry
    finally:
        repo.close()


def upload(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return client.post(f"{NINO_PAGE}/references", files={"photo": (name, data, "image/jpeg")})


def faceless_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 90)).save(out, "JPEG")
    return out.getvalue()


def files_in(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@needs_faces
def test_an_uploaded_photo_becomes_a_reference_as_an_inbox_photo_does(
    page: Served, client: httpx.Client
) -> None:
    before = references(page)
    photo = (HAMILTON / "obama_small.jpg").read_bytes()
    response = upload(client, "obama.jpg", photo)
    assert response.status_code == 200, response.text
    assert "reference added" in response.text
    after = references(page)
    assert len(after) == len(before) + 1
    (new,) = [r for r in after if r not in before]
    assert new.file.startswith(f"characters/{NINO}/reference/")
    assert (page.config.library / new.file).read_bytes() == photo
    assert not any((page.config.library / ".cache" / "uploads").iterdir())
    again = upload(client, "again.jpg", photo)
    assert again.status_code == 200 and "already one of the references" in again.text
    assert len(references(page)) == len(after)


def test_a_photo_without_a_face_is_refused_with_the_reason_and_set_aside(
    page: Served, client: httpx.Client
) -> None:
    before = references(page)
    response = upload(client, "landscape.jpg", faceless_jpeg())
    assert response.status_code == 400
    assert "no face found in the photo" in response.text
    assert references(page) == before
    rejected = page.config.inbox / "rejected"
    assert (rejected / "landscape.jpg").read_bytes() == faceless_jpeg()
    reason = (rejected / "landscape.jpg.reason.txt").read_text(encoding="utf-8")
    assert "no face found" in reason and "review page" in reason


def test_a_file_that_is_no_picture_is_refused_as_the_inbox_refuses_it(
    page: Served, client: httpx.Client
) -> None:
    not_photo = client.post(
        f"{NINO_PAGE}/references", files={"photo": ("notes.txt", b"hello", "text/plain")}
    )
    broken = upload(client, "broken.jpg", b"\xff\xd8\xff not really a jpeg")
    empty = upload(client, "empty.jpg", b"")
    assert [r.status_code for r in (not_photo, broken, empty)] == [400, 400, 400]
    assert "not a photo" in not_photo.text
    assert "empty file" in empty.text
    assert len(references(page)) == 2


def test_an_upload_over_the_limit_is_413_and_leaves_nothing(
    page: Served, client: httpx.Client
) -> None:
    big = b"\xff\xd8" + b"\0" * (MAX_UPLOAD_BYTES + 1)
    declared = upload(client, "big.jpg", big)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the bytes themselves are counted
        yield b'--b\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\n\r\n'
        for _ in range(22):
            yield b"\0" * (1024 * 1024)

    streamed = client.post(
        f"{NINO_PAGE}/references",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert [declared.status_code, streamed.status_code] == [413, 413]
    assert "larger than 20 MB" in declared.text
    assert len(references(page)) == 2
    uploads = page.config.library / ".cache" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
    assert not (page.config.inbox / "rejected").exists()


ESCAPING_NAMES = [
    ("../../x.jpg", "x.jpg"),
    ("..\\..\\x.jpg", "x.jpg"),
    ("/etc/x.jpg", "x.jpg"),
    ("..", "upload"),
    ("\x1b[2J.jpg", "[2J.jpg"),
]


@pytest.mark.parametrize(("sent", "kept"), ESCAPING_NAMES)
def test_a_sent_file_name_never_leaves_the_inbox(
    page: Served, client: httpx.Client, tmp_path: Path, sent: str, kept: str
) -> None:
    before = files_in(tmp_path)
    response = upload(client, sent, faceless_jpeg())
    assert response.status_code == 400
    rejected = page.config.inbox / "rejected"
    assert {p.parent for p in files_in(tmp_path) - before} == {rejected}
    (aside,) = [p for p in rejected.iterdir() if "reason" not in p.name]
    for where in (tmp_path.parent, tmp_path, page.config.inbox, page.config.library, Path("/etc")):
        assert not (where / "x.jpg").exists()
    assert aside.name == kept


def test_removing_a_reference_moves_its_photo_aside_and_forgets_it(
    page: Served, client: httpx.Client
) -> None:
    first, second = references(page)
    photo = (page.config.library / first.file).read_bytes()
    response = client.post(f"{NINO_PAGE}/references/remove", data={"file": first.file})
    assert response.status_code == 200
    assert "reference removed" in response.text
    assert references(page) == [second]
    assert not (page.config.library / first.file).exists()
    rejected = page.config.inbox / "rejected"
    aside = rejected / Path(first.file).name
    assert aside.read_bytes() == photo
    reason = (rejected / f"{aside.name}.reason.txt").read_text(encoding="utf-8")
    assert f"removed from the references of {NINO}" in reason


def test_only_the_characters_own_references_can_be_removed(
    page: Served, client: httpx.Client
) -> None:
    others = client.post(
        f"{NINO_PAGE}/references/remove", data={"file": "characters/Many/reference/r0.png"}
    )
    library_file = client.post(f"{NINO_PAGE}/references/remove", data={"file": "bunny.db"})
    assert [others.status_code, library_file.status_code] == [404, 404]
    assert len(references(page)) == 2
    assert (page.config.library / "bunny.db").is_file()


def test_a_caption_edited_on_the_page_is_in_the_txt_and_metadata(
    page: Served, client: httpx.Client
) -> None:
    entry = nino_image(page)
    sent = "trigger1 person\tsmiling\nin a café <at night>"
    response = client.post(f"{NINO_PAGE}/captions/{entry.id}", data={"caption": sent})
    assert response.status_code == 200
    saved = "trigger1 person smiling in a café <at night>"
    assert "trigger1 person smiling in a café &lt;at night&gt;" in response.text
    assert f'data-item="image:{entry.id}"' in response.text  # the tile, re-rendered
    assert "(edited)" in response.text
    image = page.config.library / entry.file
    assert image.with_suffix(".txt").read_text(encoding="utf-8") == saved + "\n"
    lines = (image.parent / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
    assert {"file_name": image.name, "text": saved} in [json.loads(line) for line in lines]
    # The database keeps the provider's caption, as after a hand edit of the .txt.
    assert nino_image(page).caption == entry.caption


@pytest.mark.parametrize(
    ("sent", "why"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("x" * 1001, "at most 1000"),
        ("a \x1b[31m red", "U+001B"),
        ("a \u202e reversed", "U+202E"),
        ("nul \x00 byte", "U+0000"),
    ],
)
def test_a_bad_caption_is_refused_and_the_txt_kept(
    page: Served, client: httpx.Client, sent: str, why: str
) -> None:
    entry = nino_image(page)
    txt = (page.config.library / entry.file).with_suffix(".txt")
    before = txt.read_text(encoding="utf-8")
    response = client.post(f"{NINO_PAGE}/captions/{entry.id}", data={"caption": sent})
    assert response.status_code == 400
    assert why in response.text and "not saved" in response.text
    assert txt.read_text(encoding="utf-8") == before


def test_a_caption_of_another_characters_image_is_404(page: Served, client: httpx.Client) -> None:
    entry = nino_image(page)
    other = client.post(f"/characters/Many/captions/{entry.id}", data={"caption": "x"})
    missing = client.post(f"{NINO_PAGE}/captions/999999", data={"caption": "x"})
    no_field = client.post(f"{NINO_PAGE}/captions/{entry.id}", data={})
    assert [other.status_code, missing.status_code, no_field.status_code] == [404, 404, 400]
