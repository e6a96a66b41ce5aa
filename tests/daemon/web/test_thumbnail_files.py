"""`/thumbs/<path>` over a real server: a library image's small cached thumbnail, and the
same 404 as `/files/` for whatever is not a readable image inside the library."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.daemon.web.page_server import Served, library_config, served

FRAME = "movies/abc/frames/00-00-01.000.jpg"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("thumbs")
    config = library_config(root)
    library = config.library
    (library / FRAME).parent.mkdir(parents=True)
    Image.new("RGB", (1920, 800), (200, 30, 30)).save(library / FRAME, "JPEG")
    (library / "movies/abc/frames/broken.jpg").write_bytes(b"not a jpeg at all")
    (root / "outside.jpg").write_bytes((library / FRAME).read_bytes())
    (library / "movies/abc/frames/out.jpg").symlink_to(root / "outside.jpg")
    with served(config) as shown:
        yield shown


def test_a_frame_is_served_as_a_small_thumbnail(page: Served) -> None:
    with page.client() as client:
        response = client.get(f"/thumbs/{FRAME}")
    assert response.status_code == 200
    assert response.headers["content-type"] in {"image/webp", "image/jpeg"}
    with Image.open(io.BytesIO(response.content)) as small:
        assert small.size == (256, 107)
    assert len(response.content) < (page.config.library / FRAME).stat().st_size
    cached = list((page.config.library / ".cache" / "thumbnails").rglob("*-256-*"))
    assert len(cached) == 1


def test_a_browser_that_has_the_thumbnail_gets_a_304_until_the_image_changes(
    tmp_path: Path,
) -> None:
    config = library_config(tmp_path)
    image = config.library / FRAME
    image.parent.mkdir(parents=True)
    Image.new("RGB", (640, 480), (20, 90, 200)).save(image, "JPEG")
    with served(config) as shown, shown.client() as client:
        first = client.get(f"/thumbs/{FRAME}")
        etag = first.headers["etag"]
        assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
        again = client.get(f"/thumbs/{FRAME}", headers={"If-None-Match": etag})
        assert (again.status_code, again.content) == (304, b"")
        Image.new("RGB", (640, 480), (200, 90, 20)).save(image, "JPEG")
        os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns + 10**9))
        changed = client.get(f"/thumbs/{FRAME}", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        with Image.open(io.BytesIO(changed.content)) as small:
            assert small.convert("RGB").getpixel((10, 10))[0] > 150  # the new image's red


@pytest.mark.parametrize(
    "path",
    [
        "movies/abc/frames/broken.jpg",  # not a readable image
        "movies/abc/frames/missing.jpg",
        "movies/abc/frames/out.jpg",  # a link out of the library
        "bunny.db",
        ".cache/thumbnails",
        "movies/abc/frames/..%2F..%2F..%2Foutside.jpg",
    ],
)
def test_what_is_not_an_image_in_the_library_is_404(page: Served, path: str) -> None:
    with page.client() as client:
        assert client.get(f"/thumbs/{path}").status_code == 404
    assert page.raw_get(f"/thumbs/{path}") == 404


def test_a_path_out_of_the_library_is_404(page: Served) -> None:
    assert page.raw_get("/thumbs/../outside.jpg") == 404
    assert page.raw_get("/thumbs//etc/passwd") == 404


def test_an_unreadable_image_leaves_nothing_in_the_cache(page: Served) -> None:
    cache = page.config.library / ".cache"
    before = sorted(cache.rglob("*")) if cache.exists() else []
    with page.client() as client:
        assert client.get("/thumbs/movies/abc/frames/broken.jpg").status_code == 404
    assert (sorted(cache.rglob("*")) if cache.exists() else []) == before
    assert (page.config.library / "movies/abc/frames/broken.jpg").exists()  # nothing deleted
