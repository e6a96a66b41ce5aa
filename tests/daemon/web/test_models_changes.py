"""The models fragment's changes over a real server: "train now" makes the same request as
`bunny train`, generation asks are checked before a process starts, and every change needs
the session's CSRF token and a page that is not read-only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx

from daemon.config import Config
from daemon.repository import Repository
from daemon.store import TrainingState
from daemon.web.generation_jobs import JOBS_FOLDER
from tests.conftest import wait_for
from tests.daemon.web.models_library import add_version
from tests.daemon.web.page_server import XSS, csrf_token, library_config, served

AMELIE = "Amélie Poulain"
READ_ONLY = "this page is read-only"


def url(name: str, action: str) -> str:
    return f"/characters/{quote(name, safe='')}/{action}"


def with_dataset(root: Path, *names: str) -> Config:
    config = library_config(root)
    for name in names:
        (config.library / "characters" / name / "dataset").mkdir(parents=True)
    return config


def rows(repo: Repository) -> list[tuple[object, ...]]:
    """The training table without its ids and times."""
    return [
        (r.character, r.version, r.folder, r.state, r.forced, r.basis_images, r.images, r.error)
        for r in repo.training_runs()
    ]


def bunny_train(config: Config, name: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "daemon.commands.cli", "train", name]
    return subprocess.run(
        [*command, "--library", str(config.library)],
        capture_output=True,
        text=True,
        cwd=config.library,
        timeout=120,
        check=False,
    )


def test_train_now_leaves_the_database_as_bunny_train_does(tmp_path: Path) -> None:
    by_command = with_dataset(tmp_path / "command", AMELIE)
    done = bunny_train(by_command, AMELIE)
    assert done.returncode == 0, done.stderr
    repo = Repository(by_command.database_path)
    try:
        expected = rows(repo)
    finally:
        repo.close()
    assert expected == [(AMELIE, None, None, TrainingState.REQUESTED, True, None, None, None)]

    config = with_dataset(tmp_path / "page", AMELIE)
    with served(config) as page, page.client() as client:
        response = client.post(url(AMELIE, "train"), data={"csrf_token": csrf_token(client)})
        assert response.status_code == 200
        assert f"training of {AMELIE} requested" in response.text
        assert "the daemon is not running" in response.text
        assert rows(page.repo) == expected
        shown = client.get(url(AMELIE, "models")).text
        assert '<span class="state">requested</span>' in shown
        assert "Waiting: the daemon is not running" in shown


def test_a_requested_run_says_why_it_waits_beside_the_finished_versions(tmp_path: Path) -> None:
    config = with_dataset(tmp_path, AMELIE)
    repo = Repository(config.database_path)
    try:
        add_version(repo, config.library, AMELIE, 1)
    finally:
        repo.close()
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        assert client.post(url(AMELIE, "train"), data={"csrf_token": token}).status_code == 200
        shown = client.get(url(AMELIE, "models")).text
        assert '<span class="state">done</span> v1' in shown
        assert "Waiting: the daemon is not running" in shown
        page.repo.beat()  # a daemon that runs, and has said why nothing starts
        page.repo.save_training_wait(f"no GPU for {XSS}")
        shown = client.get(url(AMELIE, "models")).text
        assert "Waiting: no GPU for &lt;img src=x onerror=alert(1)&gt;" in shown


def test_train_now_for_an_unknown_character_is_refused_as_the_command_refuses(
    tmp_path: Path,
) -> None:
    config = with_dataset(tmp_path, AMELIE)
    refused = bunny_train(config, "Nobody")
    assert refused.returncode == 1
    with served(config) as page, page.client() as client:
        response = client.post(url("Nobody", "train"), data={"csrf_token": csrf_token(client)})
        assert response.status_code == 404
        assert response.text.strip() in refused.stderr
        assert rows(page.repo) == []


def test_changes_need_the_token_and_a_writable_page(tmp_path: Path) -> None:
    config = with_dataset(tmp_path, AMELIE)
    ask = {"prompt": "a portrait", "seed": "1", "count": "1"}
    with served(config) as page, page.client() as client:
        csrf_token(client)  # a session, but the form does not send its token
        for action, form in (("train", {}), ("generate", ask)):
            response = client.post(url(AMELIE, action), data=form)
            assert response.status_code == 403, action
            assert "CSRF" in response.text
        assert rows(page.repo) == []
    with served(config, read_only=True) as page, page.client() as client:
        token = csrf_token(client)
        for action, form in (("train", {}), ("generate", ask)):
            response = client.post(url(AMELIE, action), data={"csrf_token": token, **form})
            assert response.status_code == 403, action
            assert READ_ONLY in response.text
        assert rows(page.repo) == []
        fragment = client.get(url(AMELIE, "models")).text
        assert "<form" not in fragment
    assert not (config.library / JOBS_FOLDER).exists()


def generate(client: httpx.Client, name: str, **fields: str) -> httpx.Response:
    form = {"prompt": "{trigger}, a portrait", "seed": "3", "count": "2"} | fields
    return client.post(url(name, "generate"), data={"csrf_token": csrf_token(client), **form})


def test_generation_asks_out_of_bounds_start_nothing(tmp_path: Path) -> None:
    config = with_dataset(tmp_path, AMELIE, "Raymond")
    repo = Repository(config.database_path)
    try:
        add_version(repo, config.library, AMELIE, 1)
    finally:
        repo.close()
    refusals = {
        "the count must be from 1 to 8": [{"count": "0"}, {"count": "9"}, {"count": "many"}],
        "the seed must be a whole number": [{"seed": "x"}, {"seed": "-1"}, {"seed": str(2**32)}],
        "the prompt is empty": [{"prompt": "  "}],
        "the prompt must be one line of at most 1000": [{"prompt": "a" * 1001}, {"prompt": "a\nb"}],
    }
    with served(config) as page, page.client() as client:
        for message, asks in refusals.items():
            for ask in asks:
                response = generate(client, AMELIE, **ask)
                assert response.status_code == 200, ask
                assert f"not started: {message}" in response.text, ask
        no_model = generate(client, "Raymond")
        assert "not started: Raymond has no trained model yet" in no_model.text
        assert generate(client, "Nobody").status_code == 404
    assert not (config.library / JOBS_FOLDER).exists()


def test_a_failed_generation_shows_its_error_escaped(tmp_path: Path) -> None:
    """A model folder whose training.json is not JSON: `bunny generate` fails, and says why."""
    config = with_dataset(tmp_path, AMELIE)
    repo = Repository(config.database_path)
    try:
        folder = add_version(repo, config.library, AMELIE, 1)
    finally:
        repo.close()
    (folder / "training.json").write_text("{not json")
    with served(config) as page, page.client() as client:
        started = generate(client, AMELIE, prompt=XSS)
        assert "generating 2 image(s)" in started.text
        assert 'hx-trigger="every 2s"' in started.text  # the page polls while it runs
        assert XSS not in started.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in started.text

        def finished() -> str | None:
            text = client.get(url(AMELIE, "generations")).text
            return None if '<span class="state">running</span>' in text else text

        text = wait_for(finished, timeout=180, every=0.5)
        assert '<span class="state">failed</span>' in text
        assert '<pre class="refused">' in text
        assert "hx-trigger" not in text  # no more polling
        assert XSS not in text
