"""The characters pages over a real server, read side: the list, one character's page, its
paged grid, thumbnails, escaping, and every change refused without a token or read-only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from daemon.repository import Repository
from tests.daemon.web.character_library import (
    AMELIE,
    MANY,
    MANY_IMAGES,
    NINO,
    XSS,
    XSS_CAPTION,
    fill_library,
)
from tests.daemon.web.page_server import Served, csrf_token, library_config, served

TILE = re.compile(r'data-item="image:(\d+)"')


def address(name: str) -> str:
    return f"/characters/{quote(name, safe='')}"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    config = library_config(tmp_path_factory.mktemp("characters"))
    fill_library(config)
    with served(config) as serving:
        yield serving


def test_the_list_shows_each_character_its_counts_and_why_training_waits(page: Served) -> None:
    with page.client() as client:
        response = client.get("/characters")
    assert response.status_code == 200
    text = response.text
    for name in (NINO, MANY):
        assert f'<a href="{address(name)}">{name}</a>' in text
    assert f'href="{address(AMELIE)}"' in text
    many_row = text[text.index(f'data-name="{MANY}"') :].split("</tr>")[0]
    assert f"<td>{MANY_IMAGES}</td>" in many_row  # dataset images
    assert "0 / " in many_row  # none captioned in the database yet, against the threshold
    assert "too_few_images" in many_row
    assert 'aria-current="page"' in text.split("Characters</a>")[0].rsplit("<a", 1)[1]


def test_a_character_page_carries_the_contract_of_the_other_pages(page: Served) -> None:
    with page.client() as client:
        response = client.get(address(NINO))
    assert response.status_code == 200
    text = response.text
    assert f'data-drop="character:{NINO}"' in text
    assert f'<section id="models" hx-get="/characters/{NINO}/models" hx-trigger="load">' in text
    assert '<aside id="drop-targets" hx-get="/corrections/targets" hx-trigger="load">' in text
    assert '<script src="/static/drag.js" defer></script>' in text
    assert len(TILE.findall(text)) == 1
    assert "a person" in text  # its caption
    assert 'type="file" name="photo"' in text and 'hx-encoding="multipart/form-data"' in text
    assert ">Remove</button>" in text
    assert text.count("<script") == text.count('<script src="/static/'), "an inline script"


def test_the_grid_is_paged(page: Served) -> None:
    with page.client() as client:
        first = client.get(address(MANY))
        second = client.get(f"{address(MANY)}?page=2")
        beyond = client.get(f"{address(MANY)}?page=9")
        bad = [client.get(f"{address(MANY)}?page={p}").status_code for p in ("0", "x", "-1")]
    assert len(TILE.findall(first.text)) == 50
    assert len(TILE.findall(second.text)) == MANY_IMAGES - 50
    assert not set(TILE.findall(first.text)) & set(TILE.findall(second.text))
    assert "page 1 of 2" in first.text and 'rel="next"' in first.text
    assert beyond.status_code == 200 and not TILE.findall(beyond.text)
    assert bad == [400, 400, 400]


def test_an_unknown_character_is_404_on_every_route(page: Served) -> None:
    with page.client() as client:
        token = csrf_token(client)
        headers = {"X-CSRF-Token": token}
        assert client.get(address("Nobody")).status_code == 404
        nobody = address("Nobody")
        posts = [
            client.post(f"{nobody}/references/remove", data={"file": "x"}, headers=headers),
            client.post(f"{nobody}/captions/1", data={"caption": "x"}, headers=headers),
            client.post(
                f"{nobody}/references",
                files={"photo": ("a.jpg", b"x", "image/jpeg")},
                headers=headers,
            ),
        ]
    assert [p.status_code for p in posts] == [404, 404, 404]


def test_an_xss_name_and_caption_show_as_text(page: Served) -> None:
    with page.client() as client:
        listing = client.get("/characters").text
        own = client.get(address(XSS))
    assert own.status_code == 200
    for text in (listing, own.text):
        assert XSS not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script>alert(" not in own.text
    assert "&lt;script&gt;alert(&#39;caption&#39;)&lt;/script&gt;" in own.text
    assert XSS_CAPTION.endswith("a person")


def test_tiles_and_references_are_thumbnails_inside_the_library(page: Served) -> None:
    with page.client() as client:
        text = client.get(address(NINO)).text
        sources = re.findall(r'<img src="([^"]+)"', text)
        assert sources and all(s.startswith("/thumbs/characters/") for s in sources)
        answers = [client.get(s) for s in sources]
        refused = [page.raw_get(p) for p in ("/thumbs/../bunny.db", "/thumbs/%2e%2e/etc/passwd")]
    assert len(sources) == 3  # two references, one dataset image
    assert {a.status_code for a in answers} == {200}
    assert {a.headers["content-type"] for a in answers} <= {"image/webp", "image/jpeg"}
    assert refused == [404, 404]


def test_every_change_needs_the_token(page: Served) -> None:
    repo = Repository(page.config.database_path, read_only=True)
    try:
        before = repo.references_of(NINO)
        (entry,) = repo.dataset_page(NINO, 0, 10)
    finally:
        repo.close()
    caption_file = (page.config.library / entry.file).with_suffix(".txt")
    caption_before = caption_file.read_text(encoding="utf-8")
    with page.client() as client:
        client.get("/")  # a session, but no token sent
        answers = [
            client.post(f"{address(NINO)}/references/remove", data={"file": before[0].file}),
            client.post(f"{address(NINO)}/captions/{entry.id}", data={"caption": "changed"}),
            client.post(
                f"{address(NINO)}/references", files={"photo": ("a.jpg", b"x", "image/jpeg")}
            ),
        ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert (page.config.library / before[0].file).is_file()
    assert caption_file.read_text(encoding="utf-8") == caption_before


def test_read_only_refuses_every_change_and_offers_none(page: Served) -> None:
    repo = Repository(page.config.database_path, read_only=True)
    try:
        reference = repo.references_of(NINO)[0]
        (entry,) = repo.dataset_page(NINO, 0, 10)
    finally:
        repo.close()
    with served(page.config, read_only=True) as looking, looking.client() as client:
        headers = {"X-CSRF-Token": csrf_token(client)}
        text = client.get(address(NINO)).text
        answers = [
            client.post(
                f"{address(NINO)}/references/remove", data={"file": reference.file}, headers=headers
            ),
            client.post(
                f"{address(NINO)}/captions/{entry.id}", data={"caption": "x"}, headers=headers
            ),
            client.post(
                f"{address(NINO)}/references",
                files={"photo": ("a.jpg", b"x", "image/jpeg")},
                headers=headers,
            ),
        ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert all("read-only" in a.text for a in answers)
    assert ">Remove</button>" not in text and "Edit caption" not in text
    assert 'name="photo"' not in text
    assert (page.config.library / reference.file).is_file()
