"""Captions through the real daemon: a caption API that goes down mid-run loses nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from handlers.kohya_dataset import repeats_for
from tests.conftest import HAMILTON, DaemonProcess, drop_hamilton_and_lin, wait_for

SECRET = "sk-test-3c1d9f0a77b24e61"


class CaptionAPI:
    """An OpenAI-compatible server on a fixed port that can be stopped and started again;
    it records the image of every request it answered."""

    def __init__(self, down_after: int) -> None:
        self.down_after = down_after  # it stops by itself after this many answers
        self.answered: list[str] = []  # sha256 of each captioned image
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    def start(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                url = body["messages"][0]["content"][1]["image_url"]["url"]
                image = base64.b64decode(url.split(",", 1)[1])
                with api._lock:
                    api.answered.append(hashlib.sha256(image).hexdigest())
                    number = len(api.answered)
                text = f"The image shows a man on a stage, singing, take {number}."
                reply = json.dumps({"choices": [{"message": {"content": text}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("Connection", "close")  # stopped means stopped: no keep-alive
                self.end_headers()
                self.close_connection = True
                self.wfile.write(reply)
                self.wfile.flush()
                if number == api.down_after:
                    threading.Thread(target=api.stop, daemon=True).start()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def status(daemon: DaemonProcess) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "daemon.commands.cli",
            "status",
            "--json",
            "--config",
            str(daemon.config),
        ],
        capture_output=True,
        check=False,  # its exit status is its health: 1 while a provider is down
        cwd=daemon.root,
    )
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.media
@pytest.mark.skipif(not HAMILTON.exists(), reason=f"real face media not found at {HAMILTON}")
def test_a_caption_api_outage_mid_run_loses_and_duplicates_nothing(
    daemon_factory: Callable[..., DaemonProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = CaptionAPI(down_after=1)
    limits = {
        "attempts": 2,
        "backoff_initial_seconds": 0.05,
        "backoff_max_seconds": 0.2,
        "timeout_seconds": 3,
        "breaker_failures": 2,
        "breaker_reset_seconds": 1,
        "concurrency": 1,
        "requests_per_second": 3,
    }
    daemon = daemon_factory(
        dataset={"min_face_pixels": 40, "max_per_shot": 4},
        captions={
            "providers": ["openai"],
            "when_unavailable": "wait",
            "openai": {
                "base_url": f"http://127.0.0.1:{api.port}/v1",
                "model": "fake-vision",
                "api_key_env": "BUNNY_TEST_CAPTION_KEY",
                "limits": limits,
            },
        },
    )
    monkeypatch.setenv("BUNNY_TEST_CAPTION_KEY", SECRET)  # the daemon inherits it
    drop_hamilton_and_lin(daemon)
    daemon.start()

    # The provider goes down by itself after its first caption.
    wait_for(lambda: api.answered, timeout=240)
    # The daemon notices, opens the breaker and lets the images wait; status says so.
    report = wait_for(
        lambda: (
            (s := status(daemon))["breakers"]
            and s["breakers"][0]["state"] in ("open", "half_open")
            and s
        ),
        timeout=60,
    )
    assert report["movies"][0]["state"] in ("waiting", "running")
    (progress,) = report["captions"]
    assert progress["character"] == "Lin-Manuel Miranda"
    assert 1 <= progress["captioned"] < progress["images"]
    answered_while_down = len(api.answered)

    api.start()  # the same address: the daemon finds it back by itself
    wait_for(lambda: status(daemon)["movies"][0]["state"] == "done", timeout=120)
    dataset = daemon.library / "characters" / "Lin-Manuel Miranda" / "dataset"
    images = sorted(dataset.glob("*.jpg"))
    hashes = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in images}
    # Every image captioned, each exactly once, none of them twice.
    assert len(api.answered) == len(images) > answered_while_down
    assert set(api.answered) == set(hashes)
    for image in images:
        text = image.with_suffix(".txt").read_text(encoding="utf-8").strip()
        assert text.startswith("lmm, a man on a stage, singing"), text
    lines = (dataset / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["file_name"] for line in lines) == [p.name for p in images]
    # kohya's dataset.toml beside the folder, its repeats from the images now there.
    kohya = tomllib.loads((dataset.parent / "dataset.toml").read_text(encoding="utf-8"))
    (subset,) = kohya["datasets"][0]["subsets"]
    assert subset["image_dir"] == str(dataset.resolve())
    assert subset["num_repeats"] == repeats_for(len(images))
    final = status(daemon)
    assert final["captions"] == [
        {"character": "Lin-Manuel Miranda", "images": len(images), "captioned": len(images)}
    ]
    assert final["breakers"][0]["state"] == "closed"
    log = (daemon.library / "logs" / "bunny.log").read_text(encoding="utf-8")
    assert "stage deferred" in log
    assert SECRET not in log
