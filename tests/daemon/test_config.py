"""daemon/config.py: the shipped config.yaml, validation messages, path resolution, the CLI."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

from daemon.commands.cli import main
from daemon.config import Config, ConfigError, load_config

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"
NESTED = ("watcher", "pipeline", "shots", "frames", "quality", "faces", "dataset", "log")


def write_config(folder: Path, text: str, name: str = "config.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def setting_keys(cls: type, prefix: str = "") -> set[str]:
    """Every dotted setting name of a config dataclass, nested ones included."""
    keys: set[str] = set()
    hints = typing.get_type_hints(cls)
    for item in dataclasses.fields(cls):
        if item.name == "source":  # where the config came from, not a setting
            continue
        hint = hints[item.name]
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            keys |= setting_keys(hint, f"{prefix}{item.name}.")
        else:
            keys.add(f"{prefix}{item.name}")
    return keys


def yaml_keys(document: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in document.items():
        if isinstance(value, dict):
            keys |= yaml_keys(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


# --- the shipped config.yaml ------------------------------------------------------------


def test_repo_config_equals_builtin_defaults() -> None:
    loaded = load_config(REPO_CONFIG)
    defaults = Config()
    for name in NESTED:
        assert getattr(loaded, name) == getattr(defaults, name), name
    assert loaded.after_done == defaults.after_done
    assert loaded.database == defaults.database
    folder = REPO_CONFIG.parent
    assert loaded.inbox == folder / defaults.inbox
    assert loaded.library == folder / defaults.library
    assert loaded.source == REPO_CONFIG
    # Nothing else differs: with the paths put back, the whole object equals the defaults.
    assert dataclasses.replace(loaded, inbox=defaults.inbox, library=defaults.library) == defaults


def test_repo_config_documents_every_setting() -> None:
    document = yaml.safe_load(REPO_CONFIG.read_text(encoding="utf-8"))
    documented = yaml_keys(document)
    settings = setting_keys(Config)
    assert settings - documented == set(), "settings missing from config.yaml"
    assert documented - settings == set(), "keys in config.yaml that are no setting"
    # The walk itself sees the nested settings (guards against a vacuous pass).
    assert {"watcher.quiet_seconds", "pipeline.workers", "log.level", "inbox"} <= settings


def test_no_config_file_gives_defaults_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert config == Config()
    assert config.source is None
    assert config.database_path == Path("library") / "bunny.db"
    assert config.log_path == Path("library") / "logs" / "bunny.log"


# --- unknown keys and bad values ----------------------------------------------------------


def test_unknown_key_names_file_key_and_suggestion(tmp_path: Path) -> None:
    path = write_config(tmp_path, "pipeline:\n  wrkers: 2\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'pipeline.wrkers'" in message
    assert "'pipeline.workers'" in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, "libary: somewhere\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'libary'" in message
    assert "'library'" in message


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ("pipeline:\n  workers: two\n", "pipeline.workers", "integer"),
        ("pipeline:\n  workers: 0\n", "pipeline.workers", "from 1 to 64"),
        ("pipeline:\n  workers: 2.5\n", "pipeline.workers", "integer"),
        ("log:\n  level: loud\n", "log.level", "'debug', 'info', 'warning', 'error'"),
        ('watcher:\n  follow_symlinks: "yes"\n', "watcher.follow_symlinks", "true or false"),
        (
            "pipeline:\n  retry_backoff_seconds: [-1]\n",
            "pipeline.retry_backoff_seconds[0]",
            "at least 0",
        ),
        ("pipeline:\n  retry_backoff_seconds: 60\n", "pipeline.retry_backoff_seconds", "a list"),
        ("watcher:\n  quiet_seconds: true\n", "watcher.quiet_seconds", "a number"),
        ("after_done: delete\n", "after_done", "'keep', 'move'"),
        ("inbox: 5\n", "inbox", "a path"),
        ("watcher: 3\n", "watcher", "mapping"),
        ("faces:\n  noise_margin: -0.1\n", "faces.noise_margin", "from 0 to 1.5"),
        ("faces:\n  noise_margin: wide\n", "faces.noise_margin", "a number"),
        ("faces:\n  detector: mediapipe\n", "faces.detector", "'mtcnn', 'blazeface'"),
    ],
)
def test_bad_value_names_file_key_and_what_is_allowed(
    tmp_path: Path, text: str, key: str, allowed: str
) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"'{key}" in message
    assert allowed in message


@pytest.mark.parametrize("name", ["auto", "hog", "cnn", "mtcnn", "blazeface"])
def test_every_face_detector_can_be_chosen(tmp_path: Path, name: str) -> None:
    path = write_config(tmp_path, f"faces:\n  detector: {name}\n")
    assert load_config(path).faces.detector == name


def test_the_face_detector_is_auto_unless_chosen() -> None:
    assert load_config(None).faces.detector == "auto"


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    path = write_config(tmp_path, "- inbox\n- library\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert "mapping" in str(caught.value)


def test_invalid_yaml(tmp_path: Path) -> None:
    path = write_config(tmp_path, "pipeline:\n  workers: [1, 2\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert "not valid YAML" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert "not found" in str(caught.value)


def test_console_off_unquoted(tmp_path: Path) -> None:
    # YAML 1.1 reads a bare `off` as false; config.yaml documents `console: off` as valid.
    path = write_config(tmp_path, "log:\n  console: off\n")
    assert load_config(path).log.console == "off"


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    path = write_config(tmp_path, "# nothing set\n")
    config = load_config(path)
    assert config.pipeline == Config().pipeline
    assert config.inbox == tmp_path / "inbox"


def test_values_are_converted(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "watcher:\n  quiet_seconds: 2\n  temp_suffixes: [.part]\n"
        "pipeline:\n  workers: 3\n  retry_backoff_seconds: [1, 2.5]\n",
    )
    config = load_config(path)
    assert config.watcher.quiet_seconds == 2.0
    assert isinstance(config.watcher.quiet_seconds, float)
    assert config.watcher.temp_suffixes == (".part",)
    assert config.pipeline.workers == 3
    assert config.pipeline.retry_backoff_seconds == (1.0, 2.5)


# --- paths --------------------------------------------------------------------------------


def test_relative_paths_resolve_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = write_config(
        folder,
        "inbox: drop\nlibrary: ../lib\ndatabase: db/b.db\nlog:\n  file: logs/x.log\n",
    )
    # A relative path to the config file itself: still its own folder that counts.
    config = load_config(Path("..") / "etc" / "config.yaml")
    assert config.inbox.resolve() == (folder / "drop").resolve()
    assert config.library.resolve() == (tmp_path / "lib").resolve()
    assert config.database is not None
    assert config.database.resolve() == (folder / "db" / "b.db").resolve()
    assert config.log_path.resolve() == (folder / "logs" / "x.log").resolve()
    assert config.database_path == config.database
    assert path.exists()


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "abs-inbox"
    path = write_config(tmp_path / "", f"inbox: {target}\n")
    assert load_config(path).inbox == target


def test_overrides_win_and_resolve_against_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    path = write_config(folder, "inbox: drop\nlibrary: lib\npipeline:\n  workers: 2\n")
    config = load_config(path, {"inbox": "x", "pipeline.workers": 4})
    assert config.inbox == cwd / "x"
    assert config.library == folder / "lib"  # not overridden: from the file
    assert config.pipeline.workers == 4


def test_bad_override_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, {"pipeline.workers": 0})
    assert "'pipeline.workers'" in str(caught.value)
    assert "from 1 to 64" in str(caught.value)


# --- the CLI ------------------------------------------------------------------------------


def test_cli_reports_config_error_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_config(tmp_path, "pipeline:\n  workers: two\n")
    assert main(["status", "--config", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "pipeline.workers" in captured.err
    assert str(bad) in captured.err
    assert captured.out == ""


def test_run_refuses_a_face_detector_whose_package_is_missing(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        f"inbox: {tmp_path / 'inbox'}\nlibrary: {tmp_path / 'library'}\n"
        "faces:\n  detector: blazeface\n",
    )
    code = (
        "import sys; sys.modules['ai_edge_litert'] = None  # as on Windows: no LiteRT\n"
        "from daemon.commands.cli import main\n"
        f"sys.exit(main(['run', '--once', '--config', {str(config)!r}]))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "'faces.detector' is blazeface" in done.stderr
    assert "ai-edge-litert" in done.stderr
    assert not (tmp_path / "library" / "bunny.db").exists()  # refused before any work


def test_cli_uses_bunny_config_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_config(tmp_path, "log:\n  level: loud\n", name="env.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BUNNY_CONFIG", str(bad))
    assert main(["status"]) == 2
    assert "log.level" in capsys.readouterr().err


def test_unknown_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, {"pipeline.wrkers": 2})
    assert "'pipeline.wrkers'" in str(caught.value)


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("Describe {who}", "'captions.prompt' uses {who}; the placeholders are {name}"),
        ("Describe {name", "'captions.prompt' is not a valid template"),
    ],
)
def test_a_bad_caption_prompt_is_refused_at_start(
    tmp_path: Path, prompt: str, message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"captions": {"prompt": prompt}}))
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


def test_faces_use_every_core_unless_told_and_keep_small_faces(tmp_path: Path) -> None:
    defaults = load_config(None).faces
    assert defaults.workers is None
    assert defaults.process_count == max(1, os.cpu_count() or 1)
    # Faces down to 20 px tell who is in a frame; only 64 px ones make dataset images.
    assert (defaults.min_face_pixels, Config().dataset.min_face_pixels) == (20, 64)
    assert load_config(write_config(tmp_path, "faces:\n  workers: 3\n")).faces.process_count == 3
    with pytest.raises(ConfigError, match=re.escape("'faces.workers' must be from 1 to 61")):
        load_config(write_config(tmp_path, "faces:\n  workers: 0\n"))


# --- shots.detector ------------------------------------------------------------------------


def test_the_shot_detector_is_ours_unless_the_network_is_named(tmp_path: Path) -> None:
    assert load_config(write_config(tmp_path, "shots: {}\n")).shots.detector == "content"
    chosen = load_config(write_config(tmp_path, "shots:\n  detector: transnetv2\n"))
    assert chosen.shots.detector == "transnetv2"


def test_an_unknown_shot_detector_names_the_key_and_both_detectors(tmp_path: Path) -> None:
    path = write_config(tmp_path, "shots:\n  detector: transnet\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'shots.detector'" in message
    assert "'content', 'transnetv2'" in message


# --- shots.decode --------------------------------------------------------------------------


def test_shots_decode_reference_frames_only_unless_told(tmp_path: Path) -> None:
    assert load_config(write_config(tmp_path, "shots: {}\n")).shots.decode == "reference"
    chosen = load_config(write_config(tmp_path, "shots:\n  decode: every\n"))
    assert chosen.shots.decode == "every"


def test_an_unknown_shots_decode_names_the_key_and_both_choices(tmp_path: Path) -> None:
    path = write_config(tmp_path, "shots:\n  decode: all\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'shots.decode'" in message
    assert "'reference', 'every'" in message
