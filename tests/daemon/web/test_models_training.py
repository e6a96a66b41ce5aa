"""All without a terminal, on the tiny base model: "train now" on the page, the daemon's own
training job runs it (a real worker process), the page shows the new version's loss curve
and samples; then "generate" runs `bunny generate` in the background and lists its images."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import quote, unquote

import httpx

from daemon.config import LogConfig
from daemon.repository import Repository
from daemon.store import TrainingState
from daemon.training.trigger import TrainingJob
from tests.conftest import wait_for
from tests.daemon.training.conftest import CHARACTER, tiny_training, write_dataset
from tests.daemon.web.page_server import csrf_token, library_config, served

STEPS = 8
BASE = f"/characters/{quote(CHARACTER, safe='')}"


def trained(job: TrainingJob, repo: Repository) -> bool:
    job.tick()  # what the daemon's scheduler does every poll_seconds
    return any(run.state is TrainingState.DONE for run in repo.training_runs_of(CHARACTER))


def generated(client: httpx.Client) -> str | None:
    text = client.get(f"{BASE}/generations").text
    return None if '<span class="state">running</span>' in text else text


def test_train_now_shows_the_curve_and_samples_and_generate_lists_its_images(
    tmp_path: Path, tiny_base_model: Path
) -> None:
    config = library_config(tmp_path)
    training = tiny_training(tiny_base_model, steps=STEPS, poll_seconds=0.5)
    config = dataclasses.replace(config, training=training, log=LogConfig(console="off"))
    write_dataset(config.library / "characters" / CHARACTER / "dataset")
    with served(config) as page, page.client() as client:
        token = csrf_token(client)
        assert client.post(f"{BASE}/train", data={"csrf_token": token}).status_code == 200
        job = TrainingJob(page.repo, config)
        try:
            wait_for(lambda: trained(job, page.repo), timeout=300, every=0.5)
        finally:
            job.stop_all(timeout=10)

        models = client.get(f"{BASE}/models").text
        assert re.findall(r'data-version="(\d+)"', models) == ["1"]
        assert '<span class="state state-done">done</span>' in models
        smoothed = re.search(r'<polyline class="loss-smoothed" points="([^"]*)"', models)
        assert smoothed is not None and len(smoothed[1].split()) == STEPS
        samples = re.findall(r'<img src="(/thumbs/[^"]+/samples/[^"]+)"', models)
        assert len(samples) == len(training.sample_prompts)
        assert all(client.get(sample).status_code == 200 for sample in samples)

        ask = {"csrf_token": token, "prompt": "{trigger}, a portrait", "seed": "5", "count": "2"}
        started = client.post(f"{BASE}/generate", data=ask)
        assert "generating 2 image(s)" in started.text
        again = client.post(f"{BASE}/generate", data=ask)
        assert f"not started: a generation for {CHARACTER} is already running" in again.text
        done = wait_for(lambda: generated(client), timeout=300, every=0.5)

    assert '<span class="state">done</span> 2/2' in done
    images = [unquote(i) for i in re.findall(r'<img src="/thumbs/([^"]+)"', done)]
    assert [Path(image).name.rsplit("-", 1)[1] for image in images] == ["5.png", "6.png"]
    folder = config.library / "characters" / CHARACTER / "generated"
    assert sorted(p.name for p in folder.iterdir()) == sorted(Path(i).name for i in images)
