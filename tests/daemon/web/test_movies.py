"""The movies pages over a real server and a library written through the repository as the
stages write it (movie_library.py): the list, one movie, its contact sheet's thumbnails,
paging, escaping and 404s. Retry: test_movie_retry.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from daemon.repository import MovieRecord
from tests.daemon.reports.page_library import AMELIE, KEPT, LONG_ERROR, NINO, PageLibrary
from tests.daemon.web.movie_library import movie_library
from tests.daemon.web.page_server import XSS, Served, library_config, served

ESCAPED_XSS = "&lt;img src=x onerror=alert(1)&gt;"
ESCAPED_AMELIE = "Amélie &lt;b&gt;Poulain&lt;/b&gt;"
THUMB = re.compile(r'<img src="(/thumbs/[^"]+)"')


@dataclass(frozen=True)
class Shown:
    """A served library: what build_library wrote, plus a movie named like markup."""

    page: Served
    built: PageLibrary
    hostile: MovieRecord


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shown]:
    """One library for the tests that only look."""
    config = library_config(tmp_path_factory.mktemp("movies"))
    built, hostile = movie_library(config)
    with served(config) as page:
        yield Shown(page, built, hostile)


def get(shown: Shown, path: str) -> str:
    with shown.page.client() as client:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.text


def test_the_list_shows_each_movie_with_its_state_and_a_link(shown: Shown) -> None:
    text = get(shown, "/movies")
    built = shown.built
    for movie in (built.done, built.failed, built.running, shown.hostile):
        assert f'href="/movies/{movie.key}"' in text
    assert "Le Fabuleux Destin.mkv" in text and "running.mkv" in text
    assert '<progress max="1" value="0.5">' in text  # running at faces, half-way
    row = re.search(rf'<tr data-movie="{built.failed.key}">(.*?)</tr>', text, re.S)
    assert row is not None
    assert ">failed<" in row.group(1) and "<td>4</td>" in row.group(1)  # its tries
    # The list shows the last error's start; the movie's own page shows more of it.
    error = re.search(r'<td class="error">(.*?)</td>', row.group(1), re.S)
    assert error is not None and error.group(1).startswith(LONG_ERROR[:200])
    assert error.group(1).endswith("...") and len(error.group(1)) < 300
    assert "Coming: this page is not built yet" not in text


def test_the_list_is_paged_newest_first(shown: Shown) -> None:
    first = get(shown, "/movies?per_page=3")
    second = get(shown, "/movies?per_page=3&page=2")
    assert "page 1 of 2 (4 movies)" in first and "page 2 of 2 (4 movies)" in second
    assert 'href="/movies?per_page=3&amp;page=2"' in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert f'data-movie="{shown.built.done.key}"' in second  # the oldest
    assert f'data-movie="{shown.built.done.key}"' not in first
    assert first.count("<tr data-movie=") == 3 and second.count("<tr data-movie=") == 1


def test_the_list_filters_by_state(shown: Shown) -> None:
    text = get(shown, "/movies?state=failed")
    keys = set(re.findall(r'<tr data-movie="(\w+)"', text))
    assert keys == {shown.built.failed.key, shown.hostile.key}
    assert "No movie is waiting." in get(shown, "/movies?state=waiting")


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=two", "per_page=0", "per_page=201", "state=burning", "page=-1"],
)
def test_a_mistyped_address_is_refused_with_a_reason(shown: Shown, query: str) -> None:
    with shown.page.client() as client:
        listing = client.get(f"/movies?{query}")
        one = client.get(f"/movies/{shown.built.done.key}?{query.replace('state', 'rejected')}")
    assert listing.status_code == 400 and listing.text.strip()
    assert one.status_code == 400 and one.text.strip()


def test_the_list_shows_at_most_50_movies_a_page(shown: Shown) -> None:
    assert "(4 movies)" in get(shown, "/movies?per_page=3")  # page 1 of 2
    assert 'aria-label="movies pages"' not in get(shown, "/movies?per_page=50")  # one page
    with shown.page.client() as client:
        response = client.get("/movies?per_page=51")
    assert response.status_code == 400 and "at most 50" in response.text
    # A movie's contact sheet may show the paging's most, 200 frames.
    sheet = get(shown, f"/movies/{shown.built.done.key}?per_page=200")
    assert sheet.count('class="frame-tile"') == 4


def test_a_movie_nobody_has_is_404(shown: Shown) -> None:
    with shown.page.client() as client:
        for key in ("0" * 12, "nope", shown.built.done.key[:6], shown.built.done.key + "0"):
            assert client.get(f"/movies/{key}").status_code == 404, key
        assert client.get(f"/movies/{shown.built.failed.key}/retry").status_code == 405
        assert client.get(f"/movies/{shown.built.done.key.upper()}").status_code == 200
    assert shown.page.raw_get("/movies/%00") == 404


def test_a_movie_shows_its_timeline_scenes_and_shots(shown: Shown) -> None:
    text = get(shown, f"/movies/{shown.built.done.key}")
    timeline = text[text.index('id="timeline"') : text.index('id="frames"')]
    stages = re.findall(r'<tr class="stage-done">\s*<td>(\w+)</td>', timeline)
    assert stages == ["probe", "shots", "quality", "faces", "scenes", "dataset", "captions"]
    assert "<td>30 s</td>" in timeline  # the scenes stage's duration
    assert '<tr class="stage-not-run">\n        <td>frames</td>' in timeline
    scenes = text[text.index('id="scenes"') : text.index('id="shots"')]
    assert "<td>1</td><td>0.0 s</td><td>3.5 s</td><td>0-0</td>" in scenes
    shots = text[text.index('id="shots"') :]
    assert "<td>1</td><td>3.5 s</td><td>7.0 s</td><td>moving</td>" in shots
    assert "Retry</button>" not in text  # done: nothing to retry
    assert (
        "4 faces in 3 frames, 3 named; 0 named too small for a dataset image "
        "(under dataset.min_face_pixels); 0 too small to keep"
    ) in text


def test_a_failed_movie_shows_its_retries_and_error(shown: Shown) -> None:
    text = get(shown, f"/movies/{shown.built.failed.key}")
    row = re.search(r'<tr class="stage-failed">(.*?)</tr>', text, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[:5] == ["shots", "failed", "3 s", "2", "1"]
    assert '<div class="scroll">' + LONG_ERROR[:100] in cells[6] and LONG_ERROR not in text
    assert f"({len(LONG_ERROR)} characters)" in cells[6]  # bounded, and says so
    assert f'action="/movies/{shown.built.failed.key}/retry"' in text
    assert "Retry</button>" in text


def test_the_contact_sheet_boxes_and_names_each_face(shown: Shown) -> None:
    text = get(shown, f"/movies/{shown.built.done.key}")
    sheet = text[text.index('id="frames"') : text.index('id="rejected"')]
    assert sheet.count('<li class="frame-tile"') == len(KEPT)
    assert sheet.count("<rect ") == 4  # the faces of page_library's faces stage
    assert 'viewBox="0 0 64 36"' in sheet  # the frames' size: the boxes are in its pixels
    assert '<rect class="named" x="5" y="5" width="25" height="25">' in sheet
    labels = re.findall(r'<text class="face-label (\w+)"[^>]*>([^<]*)</text>', sheet)
    assert labels == [
        ("named", ESCAPED_AMELIE),
        ("unknown", "unknown"),
        ("named", ESCAPED_AMELIE),
        ("named", NINO),
    ]
    # A label that would run off the frame ends at its box's right edge instead.
    assert f'x="30" y="13" text-anchor="end">{ESCAPED_AMELIE}</text>' in sheet
    assert f'x="4" y="12" text-anchor="start">{NINO}</text>' in sheet
    assert AMELIE not in text
    assert "full" not in sheet and "/files/" not in sheet  # thumbnails only


def test_the_contact_sheet_thumbnails_are_served(shown: Shown) -> None:
    text = get(shown, f"/movies/{shown.built.done.key}")
    sources = THUMB.findall(text)
    assert len(sources) == len(KEPT)
    with shown.page.client() as client:
        for source in sources:
            response = client.get(source)
            assert response.status_code == 200, source
            assert response.headers["content-type"] in {"image/webp", "image/jpeg"}
        assert client.get("/thumbs/bunny.db").status_code == 404
        assert client.get("/thumbs/movies/none.jpg").status_code == 404
    assert shown.page.raw_get("/thumbs/../page_library.py") == 404


def test_the_contact_sheet_is_paged(shown: Shown) -> None:
    key = shown.built.done.key
    first = get(shown, f"/movies/{key}?per_page=3")
    second = get(shown, f"/movies/{key}?per_page=3&page=2")
    assert first.count('<li class="frame-tile"') == 3
    assert second.count('<li class="frame-tile"') == 1
    assert f'data-frame="{KEPT[3]}"' in second and f'data-frame="{KEPT[3]}"' not in first
    assert f'href="/movies/{key}?per_page=3&amp;page=2#frames"' in first


def test_rejected_frames_are_behind_a_toggle(shown: Shown) -> None:
    key = shown.built.done.key
    closed = get(shown, f"/movies/{key}")
    assert '<details class="rejected">' in closed
    assert "Rejected frames (2)" in closed
    assert "blurred: under the movie&#39;s median sharpness" in closed
    opened = get(shown, f"/movies/{key}?rejected=1")
    assert '<details class="rejected" open>' in opened


def test_a_movie_named_like_markup_shows_as_text(shown: Shown) -> None:
    for path in ("/movies", f"/movies/{shown.hostile.key}", "/movies?state=failed"):
        text = get(shown, path)
        assert XSS not in text, path
        assert ESCAPED_XSS in text, path
        assert text.count("<script") == text.count('<script src="/static/'), path
