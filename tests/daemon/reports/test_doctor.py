"""daemon/reports/doctor.py: `bunny doctor` on a good library, a bad folder, a broken database."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.config import Config, DiskConfig, TrainingConfig
from daemon.reports.checks import Level, summary_line
from daemon.reports.doctor import run_doctor
from daemon.repository import Repository
from daemon.store import SCHEMA_VERSION


def doctor(config: Config) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = run_doctor(config, print_line=lines.append)
    return code, lines


def line_for(lines: list[str], name: str) -> str:
    found = [line for line in lines if f"] {name}" in line]
    assert found, f"no line for {name!r} in {lines}"
    return found[0]


def fix_after(lines: list[str], name: str) -> str:
    index = lines.index(line_for(lines, name))
    assert index + 1 < len(lines)
    assert lines[index + 1].strip().startswith("fix:"), lines[index + 1]
    return lines[index + 1]


def summary_of(lines: list[str]) -> str:
    """The last line a doctor run should print, counted from the lines it printed."""
    warnings = sum(line.startswith("[warn]") for line in lines)
    errors = sum(line.startswith("[FAIL]") for line in lines)
    if warnings == errors == 0:
        return "all checks passed"
    plural = {1: ""}
    return (
        f"{warnings} warning{plural.get(warnings, 's')}, {errors} error{plural.get(errors, 's')}; "
        "see 'fix' above"
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(inbox=tmp_path / "inbox", library=tmp_path / "library")


def test_an_encoder_network_it_cannot_read_fails_the_face_models_line(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import face_recognition_models

    shipped = Path(face_recognition_models.face_recognition_model_location())
    cut = tmp_path / "cut_short.dat"
    cut.write_bytes(shipped.read_bytes()[:100_000])  # a download that stopped part way
    # The package only says where its files lie; point it at the damaged copy.
    monkeypatch.setattr(face_recognition_models, "face_recognition_model_location", lambda: cut)
    code, lines = doctor(config)
    line = line_for(lines, "face models")
    assert code != 0
    assert line.startswith("[FAIL]") and "the encoder cannot read it" in line
    assert "cut_short.dat: byte" in line and "does not fit in the file" in line


def test_healthy_installation_passes(config: Config) -> None:
    code, lines = doctor(config)
    assert code == 0, "\n".join(lines)
    assert not any("FAIL" in line for line in lines)
    assert line_for(lines, "face models").startswith("[  ok]")
    assert "the encoder reads its 108 layers" in line_for(lines, "face models")
    assert line_for(lines, "database").startswith("[  ok]")
    assert "does not exist yet" in line_for(lines, "database")
    assert line_for(lines, f"folder {config.library}").startswith("[  ok]")
    assert lines[-1] == summary_of(lines)


def test_existing_database_is_checked(config: Config) -> None:
    Repository(config.database_path).close()
    code, lines = doctor(config)
    assert code == 0, "\n".join(lines)
    database = line_for(lines, "database")
    assert database.startswith("[  ok]")
    assert f"schema {SCHEMA_VERSION}" in database
    assert "journal wal" in database
    assert "exists and writable" in line_for(lines, f"folder {config.library}")


def test_library_that_cannot_be_created_fails_with_a_fix(tmp_path: Path) -> None:
    # Running as root bypasses permission bits, so block the folder with a regular file.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    library = blocker / "library"
    config = Config(inbox=tmp_path / "inbox", library=library)
    code, lines = doctor(config)
    assert code == 1
    folder = line_for(lines, f"folder {library}")
    assert folder.startswith("[FAIL]")
    assert "not a folder" in folder
    assert str(blocker) in fix_after(lines, f"folder {library}")
    assert lines[-1] == summary_of(lines) and ", 1 error;" in lines[-1]


def test_library_that_is_a_file_fails(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.write_text("oops")
    code, lines = doctor(Config(inbox=tmp_path / "inbox", library=library))
    assert code == 1
    assert line_for(lines, f"folder {library}").startswith("[FAIL]")
    fix_after(lines, f"folder {library}")


def test_corrupt_database_fails(config: Config) -> None:
    config.library.mkdir(parents=True)
    config.database_path.write_bytes(b"this is not sqlite at all " * 200)
    code, lines = doctor(config)
    assert code == 1
    database = line_for(lines, "database")
    assert database.startswith("[FAIL]")
    assert str(config.database_path) in database
    assert "move the file aside" in fix_after(lines, "database")


def test_doctor_checks_the_caption_providers_it_would_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from daemon.config import CaptionsConfig, OpenAIConfig
    from daemon.reports.provider_checks import caption_provider_checks

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    up = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    listener_closed = socket.socket()
    listener_closed.bind(("127.0.0.1", 0))
    down = f"http://127.0.0.1:{listener_closed.getsockname()[1]}/v1"
    listener_closed.close()
    try:

        def checks(base_url: str, providers: tuple[str, ...]) -> dict[str, str]:
            config = CaptionsConfig(providers=providers, openai=OpenAIConfig(base_url=base_url))  # type: ignore[arg-type]
            return {c.name: c.level.value for c in caption_provider_checks(config, True)}

        assert checks(up, ("openai", "bedrock")) == {
            "captions": "ok",
            "captions openai": "ok",
            "captions bedrock": "FAIL",
        }
        # A provider that cannot work is only a warning when the template comes after it.
        assert checks(down, ("openai", "template"))["captions openai"] == "warn"
        assert checks(down, ("openai",))["captions openai"] == "FAIL"
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example-key")
        assert checks(up, ("bedrock",))["captions bedrock"] == "ok"
    finally:
        listener.close()


def test_disk_under_the_pause_floor_is_a_warning(config: Config) -> None:
    roomy = dataclasses.replace(config, disk=DiskConfig(min_free_gb=0))
    assert line_for(doctor(roomy)[1], "disk").startswith("[  ok]")
    cramped = dataclasses.replace(config, disk=DiskConfig(min_free_gb=1_000_000))
    code, lines = doctor(cramped)
    assert code == 0, "a warning, not a failure"
    assert line_for(lines, "disk").startswith("[warn]")
    assert "under disk.min_free_gb (1e+06 GB)" in line_for(lines, "disk")
    assert "lower disk.min_free_gb" in fix_after(lines, "disk")


def test_warnings_are_counted_and_never_called_all_passed(config: Config) -> None:
    # A floor no disk reaches: a warning on any machine (and here no GPU, no huggingface.co).
    cramped = dataclasses.replace(config, disk=DiskConfig(min_free_gb=1_000_000))
    code, lines = doctor(cramped)
    assert line_for(lines, "disk").startswith("[warn]")
    assert "all checks passed" not in lines
    assert lines[-1] == summary_of(lines)
    assert code == 0, "warnings alone do not fail the doctor"
    assert summary_line([Level.OK, Level.OK]) == "all checks passed"
    assert summary_line([Level.WARN, Level.FAIL, Level.FAIL]).startswith("1 warning, 2 errors;")


def test_a_base_model_that_cannot_be_downloaded_is_a_warning_with_the_fix(tmp_path: Path) -> None:
    from handlers.embedders import hub_unreachable_reason

    if hub_unreachable_reason() is None:
        pytest.skip("huggingface.co answers here: the first run can download the model")
    config = Config(
        inbox=tmp_path / "inbox",
        library=tmp_path / "library",
        training=TrainingConfig(base_model="nobody-here/no-such-model"),
    )
    code, lines = doctor(config)
    model = line_for(lines, "base model")
    assert model.startswith("[warn]"), model
    assert "not in the Hugging Face cache" in model and "cannot be reached" in model
    assert "training will fail" in model
    fix = fix_after(lines, "base model")
    assert "on a machine with network" in fix and "set training.base_model" in fix
    assert "first run downloads it" not in "\n".join(lines)
    assert code == 0 and lines[-1] == summary_of(lines)


def test_the_library_checks_leave_pillows_truncated_image_setting_as_it_was(
    tmp_path: Path,
) -> None:
    # face_recognition switches it on at import; after doctor, a truncated JPEG must still be
    # an error to everything else in the process (the review page's thumbnails among them).
    # A fresh interpreter, so that the doctor's import is face_recognition's first.
    script = (
        "import sys\n"
        "from PIL import ImageFile\n"
        "from daemon.reports.doctor import run_doctor\n"
        "from daemon.config import load_config\n"
        "config = load_config(None, {'library': sys.argv[1], 'inbox': sys.argv[2]})\n"
        "run_doctor(config, print_line=lambda line: None)\n"
        "assert 'face_recognition' in sys.modules\n"
        "print(ImageFile.LOAD_TRUNCATED_IMAGES)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "library"), str(tmp_path / "inbox")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_the_face_detector_auto_takes_here_is_named(config: Config) -> None:
    from handlers.dlib_models import dlib_has_cuda

    _, lines = doctor(config)
    expected = "cnn on cuda" if dlib_has_cuda() else "blazeface on cpu"
    assert line_for(lines, "face detector") == f"[  ok] face detector: auto -> {expected}"


def test_a_named_face_detector_without_its_package_fails_with_the_fix() -> None:
    # A fresh interpreter where LiteRT cannot be imported, as on Windows.
    script = (
        "import sys\n"
        "sys.modules['ai_edge_litert'] = None\n"
        "from daemon.config import load_config\n"
        "from daemon.reports.face_detector_checks import face_detector_check\n"
        "for name in ('blazeface', 'auto'):\n"
        "    config = load_config(None, {'faces': {'detector': name}})\n"
        "    check = face_detector_check(config.faces)\n"
        "    print(check.level.value, '|', check.detail, '|', check.fix)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    named, auto = done.stdout.strip().splitlines()[-2:]
    assert named.startswith("FAIL | faces.detector blazeface needs the package ai-edge-litert")
    assert "bootstrap.py install" in named
    assert auto.startswith("warn | auto -> hog on cpu, passing over blazeface needs")
    assert "profiles and faces under about 40 px are missed" in auto


def test_the_image_formats_read_here_are_named_and_a_missing_heif_decoder_is_a_warning(
    config: Config,
) -> None:
    # pillow-heif is not installed here (nor by bootstrap.py): HEIC photos are set aside.
    _, lines = doctor(config)
    line = line_for(lines, "image formats")
    assert importlib.util.find_spec("pillow_heif") is None
    assert line.startswith("[warn] image formats: JPEG, PNG, GIF, WEBP, TIFF, BMP")
    assert "not HEIC/HEIF: such photos in inbox/images/ are set aside" in line
    assert any("pip install pillow-heif" in text for text in lines)
    assert line_for(lines, f"folder {config.inbox / 'images'}").startswith("[  ok]")
