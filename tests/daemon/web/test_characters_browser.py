"""The characters pages in a real Chromium: a caption edited in place reaches the `.txt` and
`metadata.jsonl`, an XSS character name stays text, and the page of a character with real
photos (its screenshot is the README's)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from PIL import Image

from daemon.repository import Repository
from handlers.caption_files import write_caption, write_metadata
from handlers.caption_records import NewCaption
from handlers.dataset import DatasetImage, DatasetReport
from handlers.face_matching import FaceBox
from handlers.letterbox import CropBox
from tests.conftest import HAMILTON
from tests.daemon.reports.page_library import encoding, sha
from tests.daemon.web.browser_steps import WAIT_MS, record_dialogs
from tests.daemon.web.character_library import NINO, XSS, fill_library
from tests.daemon.web.page_server import library_config, served

if TYPE_CHECKING:
    from playwright.sync_api import Page

WIDTH, HEIGHT = 1280, 800
needs_faces = pytest.mark.skipif(not HAMILTON.exists(), reason=f"no face photos at {HAMILTON}")
PHOTOS = ("obama.jpg", "obama2.jpg", "obama_small.jpg")


def test_a_caption_edited_on_the_page_reaches_the_txt_and_metadata(
    tmp_path: Path, browser_page: Page
) -> None:
    from playwright.sync_api import expect

    config = library_config(tmp_path)
    fill_library(config)
    browser_page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    with served(config) as review:
        (entry,) = review.repo.dataset_page(NINO, 0, 10)
        browser_page.goto(f"{review.url}/characters/{quote(NINO)}")
        tile = browser_page.locator(f'[data-item="image:{entry.id}"]')
        tile.get_by_text("Edit caption").click()
        tile.locator("textarea").fill("nino, a man on a red scooter")
        tile.get_by_role("button", name="Save").click()
        saved = browser_page.locator(f'[data-item="image:{entry.id}"] .caption')
        expect(saved).to_contain_text("nino, a man on a red scooter", timeout=WAIT_MS)
        expect(saved).to_contain_text("(edited)")
    image = config.library / entry.file
    assert image.with_suffix(".txt").read_text(encoding="utf-8") == (
        "nino, a man on a red scooter\n"
    )
    lines = (image.parent / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
    expected = {"file_name": image.name, "text": "nino, a man on a red scooter"}
    assert expected in [json.loads(line) for line in lines]


def test_an_xss_character_name_shows_as_text(tmp_path: Path, browser_page: Page) -> None:
    from playwright.sync_api import expect

    config = library_config(tmp_path)
    fill_library(config)
    browser_page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    dialogs = record_dialogs(browser_page)
    with served(config) as review:
        browser_page.goto(f"{review.url}/characters")
        link = browser_page.get_by_role("link", name=XSS, exact=True)
        expect(link).to_be_visible()
        link.click()
        expect(browser_page.locator("h1.character-name")).to_have_text(XSS, timeout=WAIT_MS)
        expect(browser_page.locator(".tile .caption")).to_contain_text("<script>alert(")
        assert browser_page.locator('img[src="x"]').count() == 0
        assert browser_page.locator("main script").count() == 2  # ours, from files
        browser_page.wait_for_timeout(500)  # an onerror would have fired by now
    assert dialogs() == []


@needs_faces
def test_a_photo_uploaded_on_the_page_is_refused_or_added(
    tmp_path: Path, browser_page: Page
) -> None:
    """The form sends its token in the header (multipart); a refusal shows its reason."""
    from playwright.sync_api import expect

    config = library_config(tmp_path)
    fill_library(config)
    faceless = tmp_path / "landscape.jpg"
    Image.new("RGB", (320, 240), (120, 160, 90)).save(faceless)
    browser_page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    with served(config) as review:
        browser_page.goto(f"{review.url}/characters/{quote(NINO)}")
        references = browser_page.locator("#references")
        references.locator('input[type="file"]').set_input_files(faceless)
        references.get_by_role("button", name="Upload").click()
        expect(references.locator(".error")).to_contain_text("no face found", timeout=WAIT_MS)
        expect(references.locator(".reference img")).to_have_count(2)
        references.locator('input[type="file"]').set_input_files(HAMILTON / "obama_small.jpg")
        references.get_by_role("button", name="Upload").click()
        expect(references.locator(".notice")).to_have_text("reference added", timeout=WAIT_MS)
        expect(references.locator(".reference img")).to_have_count(3)
        assert len(review.repo.references_of(NINO)) == 3
    assert (config.inbox / "rejected" / "landscape.jpg").is_file()


@needs_faces
def test_the_character_page_of_a_library_with_photos(tmp_path: Path, browser_page: Page) -> None:
    """The README's screenshot (test-artifacts/screenshots/, copied to docs/screenshots/)."""
    from playwright.sync_api import expect

    config = library_config(tmp_path)
    _photo_library(config.database_path, config.library)
    browser_page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    with served(config) as review:
        browser_page.goto(f"{review.url}/characters")
        expect(browser_page.locator("tr.character")).to_have_count(3)
        browser_page.get_by_role("link", name="Barack Obama").click()
        tiles = browser_page.locator(".tile img")
        expect(tiles).to_have_count(12, timeout=WAIT_MS)
        for index in range(tiles.count()):
            expect(tiles.nth(index)).to_have_js_property("complete", True)
        expect(browser_page.locator(".reference img")).to_have_count(3)


def _photo_library(database: Path, library: Path) -> None:
    repo = Repository(database)
    try:
        for number, (name, photos) in enumerate(
            {
                "Barack Obama": PHOTOS,
                "Joe Biden": ("biden.jpg",),
                "Lin-Manuel Miranda": ("lin-manuel-miranda.png",),
            }.items()
        ):
            record = repo.save_character(name, name.split()[0].lower(), "man")
            for photo in photos:
                file = f"characters/{name}/reference/{photo}"
                (library / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(HAMILTON / photo, library / file)
                box = FaceBox(1, 9, 9, 1)
                repo.add_reference(record.id, sha(file), file, box, encoding(number))
        _dataset(repo, library, "Barack Obama", 12)
    finally:
        repo.close()


def _dataset(repo: Repository, library: Path, name: str, count: int) -> None:
    movie = repo.add_movie(sha(name), "press conference.mkv", library / "p.mkv", 10)
    images = tuple(
        DatasetImage(name, f"00-00-{n:02d}.000",
                     f"characters/{name}/dataset/{movie.key}_00-00-{n:02d}.000.jpg",
                     CropBox(0, 0, 256, 256), 256, 256)
        for n in range(count)
    )  # fmt: skip
    repo.start_stage(movie.id, "dataset")
    repo.finish_stage(movie.id, "dataset", 1.0, DatasetReport(images, 0, 0))
    shots = ("close-up", "medium shot", "wide shot")
    (library / images[0].file).parent.mkdir(parents=True)
    for n, image in enumerate(images):
        path = library / image.file
        with Image.open(HAMILTON / PHOTOS[n % len(PHOTOS)]) as photo:
            side = min(photo.size) - n * 7
            photo.convert("RGB").crop((n * 5, 0, n * 5 + side, side)).save(path)
        text = f"obama man, {shots[n % 3]}, dark suit, indoor press room, soft light"
        repo.save_caption(NewCaption(image.file, movie.key, name, "template", text, "0" * 16))
        write_caption(path, text)
    write_metadata((library / images[0].file).parent)
