"""Fixtures of the page read models' tests: a real library built through the real writers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.repository import Repository
from tests.daemon.reports.page_library import PageLibrary, build_library


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "library" / "bunny.db")
    yield repository
    repository.close()


@pytest.fixture
def built(repo: Repository, tmp_path: Path) -> PageLibrary:
    return build_library(repo, tmp_path / "library")
