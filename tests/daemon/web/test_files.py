"""`/files/...` serves images from inside the library and answers 404 to every way out."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.web.files import library_file
from tests.daemon.web.page_server import library_config, served

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


@pytest.fixture
def library(tmp_path: Path) -> Path:
    config = library_config(tmp_path)
    frames = config.library / "movies" / "abc" / "frames"
    frames.mkdir(parents=True)
    (frames / "00-00-01.000.jpg").write_bytes(JPEG)
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(b"outside the library")
    (config.library / "out.jpg").symlink_to(outside)
    (config.library / "outdir").symlink_to(tmp_path)
    (config.library / "in.jpg").symlink_to(frames / "00-00-01.000.jpg")
    return config.library


def test_an_image_inside_the_library_is_served(library: Path) -> None:
    with served(library_config(library.parent)) as page, page.client() as client:
        response = client.get("/files/movies/abc/frames/00-00-01.000.jpg")
        assert response.status_code == 200
        assert response.content == JPEG
        assert response.headers["content-type"] == "image/jpeg"
        assert client.get("/files/in.jpg").content == JPEG  # a link that stays inside


@pytest.mark.parametrize(
    "path",
    [
        "/files/../secret.jpg",
        "/files/movies/../../secret.jpg",
        "/files/%2e%2e/secret.jpg",
        "/files/movies/%2e%2e/%2e%2e/secret.jpg",
        "/files/%2E%2E%2Fsecret.jpg",
        "/files/..%2fsecret.jpg",
        "/files/..%5csecret.jpg",
        "/files//etc/passwd",
        "/files/%2Fetc%2Fpasswd",
        "/files/out.jpg",
        "/files/outdir/secret.jpg",
        "/files/bunny.db",
        "/files/movies/abc/frames/missing.jpg",
        "/files/movies/abc/frames/00-00-01.000.jpg%00.txt",
    ],
)
def test_every_way_out_is_404(library: Path, path: str) -> None:
    with served(library_config(library.parent)) as page:
        assert page.raw_get(path) == 404


def test_the_absolute_path_of_a_file_inside_is_refused(library: Path) -> None:
    inside = library / "movies" / "abc" / "frames" / "00-00-01.000.jpg"
    assert library_file(library, str(inside)) is None
    assert library_file(library, "movies/abc/frames/00-00-01.000.jpg") == inside.resolve()


def test_a_symlinked_folder_out_is_refused_by_the_resolver(library: Path) -> None:
    assert library_file(library, "outdir/secret.jpg") is None
    assert library_file(library, "out.jpg") is None
    assert (library / "out.jpg").exists()  # the link is there: refused, not missing
