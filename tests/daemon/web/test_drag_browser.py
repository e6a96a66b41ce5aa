"""Drag and drop in a real Chromium: a dataset image dragged from one character onto another
moves its file, writes the correction and its triplet, and changes both counts; the page's
"Undo last correction" puts it all back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.daemon.web.browser_steps import WAIT_MS
from tests.daemon.web.page_server import served
from tests.daemon.web.test_corrections import library

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


def count_of(page: Page, name: str) -> Locator:
    return page.locator(f'#drop-targets [data-count="{name}"]')


def wait_until_draggable(tile: Locator) -> None:
    """drag.js (a deferred script) makes tiles draggable once the page is parsed; on a loaded
    machine a drag started before that moved nothing and the count never changed."""
    from playwright.sync_api import expect

    expect(tile).to_have_attribute("draggable", "true", timeout=WAIT_MS)


def test_dragging_an_image_onto_another_character_moves_it_and_undo_brings_it_back(
    tmp_path: Path, browser_page: Page
) -> None:
    from playwright.sync_api import expect

    config, made, ids = library(tmp_path)
    moved = made.ann[0]
    with served(config) as review:
        browser_page.set_viewport_size({"width": 1280, "height": 800})
        browser_page.goto(review.url + "/characters/Ann")
        target = browser_page.locator('#drop-targets [data-drop="character:Bea"]')
        expect(target).to_be_visible(timeout=WAIT_MS)
        expect(count_of(browser_page, "Ann")).to_have_text("2")
        expect(count_of(browser_page, "Bea")).to_have_text("1")

        tile = browser_page.locator(f'[data-item="image:{ids[moved]}"]')
        wait_until_draggable(tile)
        tile.drag_to(target)
        # The drop reloads the page: the counts are the server's again.
        expect(count_of(browser_page, "Bea")).to_have_text("2", timeout=WAIT_MS)
        expect(count_of(browser_page, "Ann")).to_have_text("1")
        expect(browser_page.locator(f'[data-item="image:{ids[moved]}"]')).to_have_count(0)
        assert (config.library / "characters/Bea/dataset" / Path(moved).name).is_file()
        assert not (config.library / moved).exists()
        (entry,) = review.repo.corrections()
        assert (entry.from_character, entry.to_character, entry.file_before) == (
            "Ann",
            "Bea",
            moved,
        )
        (triplet,) = review.repo.correction_triplets()
        assert (triplet["character"], triplet["not"]) == ("Bea", "Ann")

        browser_page.get_by_role("button", name="Undo last correction").click()
        expect(count_of(browser_page, "Ann")).to_have_text("2", timeout=WAIT_MS)
        expect(count_of(browser_page, "Bea")).to_have_text("1")
        expect(browser_page.locator('[data-item^="image:"]')).to_have_count(2)
        assert (config.library / moved).is_file()
        assert review.repo.correction_triplets() == []
        assert [e.undone for e in review.repo.corrections()] == [True]
        expect(browser_page.locator("#drop-targets")).to_contain_text("No correction to undo")


def test_a_shift_click_selection_is_dragged_together_onto_not_this_person(
    tmp_path: Path, browser_page: Page
) -> None:
    from playwright.sync_api import expect

    config, made, ids = library(tmp_path)
    with served(config) as review:
        browser_page.set_viewport_size({"width": 1280, "height": 800})
        browser_page.goto(review.url + "/characters/Ann")
        target = browser_page.locator('#drop-targets [data-drop="not-this-person"]')
        expect(target).to_be_visible(timeout=WAIT_MS)
        first, second = (browser_page.locator(f'[data-item="image:{ids[f]}"]') for f in made.ann)
        first.click()
        second.click(modifiers=["Shift"])
        expect(browser_page.locator("[data-item].is-selected")).to_have_count(2)
        wait_until_draggable(second)
        second.drag_to(target)
        expect(count_of(browser_page, "Ann")).to_have_text("0", timeout=WAIT_MS)
        expect(count_of(browser_page, "Bea")).to_have_text("1")
        assert not any((config.library / file).exists() for file in made.ann)
        assert sorted(e.kind.value for e in review.repo.corrections()) == ["deleted", "deleted"]
        expect(browser_page.locator("#drop-targets")).to_contain_text(
            "Undoes: 2 images taken out of Ann's dataset"
        )
