"""The models fragment over a real server: versions newest first and capped, sample
thumbnails, the loss plot drawn from losses.csv, the training state, escaping, 404s."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from daemon.repository import Repository, RunEnd
from daemon.store import TrainingState
from daemon.web.loss_plot import MAX_PLOT_POINTS
from tests.daemon.web.models_library import Losses, add_version
from tests.daemon.web.page_server import XSS, Served, library_config, served

AMELIE = "Amélie Poulain"
NINO = "Nino"  # one version, 100,000 steps
BARE = "Raymond"  # a character with no model
POINTS = re.compile(r'<polyline class="loss-(raw|smoothed)" points="([^"]*)"')


def models_url(name: str, query: str = "") -> str:
    return f"/characters/{quote(name, safe='')}/models{query}"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    config = library_config(tmp_path_factory.mktemp("models"))
    repo = Repository(config.database_path)
    try:
        for name in (AMELIE, NINO, BARE, XSS):  # a dataset folder: a character to train
            (config.library / "characters" / name / "dataset").mkdir(parents=True)
        add_version(repo, config.library, AMELIE, 1, Losses(3, 0.9))
        add_version(repo, config.library, AMELIE, 2, None, RunEnd(TrainingState.FAILED, error=XSS))
        for version in (3, 4, 5, 6):
            add_version(repo, config.library, AMELIE, version, Losses(10, 0.5))
        add_version(repo, config.library, NINO, 1, Losses(100_000, 0.8))
        add_version(repo, config.library, XSS, 1, None, RunEnd(TrainingState.FAILED, error=XSS))
    finally:
        repo.close()
    with served(config) as serving:
        yield serving


def versions_in(text: str) -> list[int]:
    return [int(v) for v in re.findall(r'data-version="(\d+)"', text)]


def plotted(text: str, kind: str = "smoothed") -> list[list[tuple[float, float]]]:
    """Each version's polyline of `kind`, as (x, y) pixels."""
    lines = [points for found, points in POINTS.findall(text) if found == kind]
    return [[tuple(map(float, pair.split(","))) for pair in line.split()] for line in lines]  # type: ignore[misc]


def test_the_newest_four_versions_side_by_side_and_a_link_to_more(page: Served) -> None:
    with page.client() as client:
        response = client.get(models_url(AMELIE))
        assert response.status_code == 200
        assert versions_in(response.text) == [6, 5, 4, 3]
        assert f'href="{models_url(AMELIE, "?show=8")}"' in response.text
        everything = client.get(models_url(AMELIE, "?show=8")).text
        assert versions_in(everything) == [6, 5, 4, 3, 2, 1]
        assert "More versions" not in everything
        assert versions_in(client.get(models_url(AMELIE, "?show=junk")).text) == [6, 5, 4, 3]


def test_each_version_shows_its_record_samples_and_files(page: Served) -> None:
    with page.client() as client:
        text = client.get(models_url(AMELIE, "?show=8")).text
        v1 = text[text.index('data-version="1"') :]
        assert "runwayml/stable-diffusion-v1-5" in v1
        folder = quote(f"characters/{AMELIE}/models/{AMELIE}-v1")
        assert f'href="/files/{folder}/{quote(AMELIE)}-v1.safetensors"' in v1
        thumbs = re.findall(r'<img src="(/thumbs/[^"]+)"', v1)
        assert thumbs == [
            f"/thumbs/{folder}/samples/01-seed42.png",
            f"/thumbs/{folder}/samples/02-seed42.png",
        ]
        assert 'title="trigger, portrait photo"' in v1
        thumb = client.get(thumbs[0])
        assert thumb.status_code == 200
        assert thumb.headers["content-type"].startswith("image/")
        assert len(thumb.content) > 0


def test_the_plot_follows_the_losses_csv(page: Served) -> None:
    """v1's losses.csv: steps 1..3, losses 0.9/step (smoothed 1.5 times that)."""
    with page.client() as client:
        text = client.get(models_url(AMELIE, "?show=8")).text
    v1 = text[text.index('data-version="1"') :]
    raw, smoothed = plotted(v1, "raw")[0], plotted(v1, "smoothed")[0]
    assert len(raw) == len(smoothed) == 3
    xs = [x for x, _ in raw]
    assert xs == sorted(xs) and xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.2)
    # Screen y grows downwards: the highest loss (step 1, smoothed 1.35) is the top of the
    # plot, the lowest (step 3, raw 0.3) its bottom; 0.45 and 0.3 + (1.35 - 0.3) * k between.
    top, bottom = smoothed[0][1], raw[2][1]
    assert top < bottom
    span = bottom - top
    for (_, y), loss in zip(raw + smoothed, [0.9, 0.45, 0.3, 1.35, 0.675, 0.45], strict=True):
        assert y == pytest.approx(bottom - (loss - 0.3) / 1.05 * span, abs=0.2)
    assert ">1.35<" in v1 and ">0.3<" in v1  # the y axis' end labels
    assert ">1<" in v1 and ">3<" in v1  # the step axis' end labels


def test_a_long_run_is_drawn_with_a_few_hundred_points(page: Served) -> None:
    with page.client() as client:
        response = client.get(models_url(NINO))
    (smoothed,) = plotted(response.text)
    assert len(smoothed) == MAX_PLOT_POINTS
    assert ">100000<" in response.text  # the last step is drawn
    assert len(response.content) < 60_000


def test_a_run_without_losses_says_so(page: Served) -> None:
    with page.client() as client:
        text = client.get(models_url(AMELIE, "?show=8")).text
    v2 = text[text.index('data-version="2"') : text.index('data-version="1"')]
    assert "No loss curve" in v2
    assert "<svg" not in v2


def test_a_character_without_models_says_so(page: Served) -> None:
    with page.client() as client:
        text = client.get(models_url(BARE)).text
    assert "No model yet." in text
    assert "No training run yet." in text


def test_user_text_is_escaped(page: Served) -> None:
    with page.client() as client:
        for url in (models_url(XSS), f"/characters/{quote(XSS, safe='')}/generations"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert XSS not in response.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in client.get(models_url(XSS)).text


def test_unknown_characters_are_404(page: Served) -> None:
    with page.client() as client:
        for url in (models_url("Nobody"), "/characters/Nobody/generations"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "no character 'Nobody'" in response.text


def test_the_fragment_is_a_fragment_with_its_forms(page: Served) -> None:
    with page.client() as client:
        text = client.get(models_url(AMELIE)).text
    assert text.lstrip().startswith('<div id="models-body"')
    assert "<nav" not in text and "<script" not in text
    quoted = quote(AMELIE, safe="")
    assert f'hx-post="/characters/{quoted}/train"' in text
    assert f'hx-post="/characters/{quoted}/generate"' in text
    assert 'id="generations"' in text


def test_thumbnails_are_served_only_for_images_inside_the_library(page: Served) -> None:
    for path in (
        "/thumbs/../bunny.db",
        "/thumbs/bunny.db",
        "/thumbs/%2Fetc%2Fpasswd",
        "/thumbs/.cache/thumbnails/x.png",
        f"/thumbs/characters/{quote(AMELIE)}/nothing.png",
    ):
        assert page.raw_get(path) == 404, path
