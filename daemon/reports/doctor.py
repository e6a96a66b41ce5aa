"""`bunny doctor`: check folders, database, libraries and models; say how to fix each gap."""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from daemon.byte_sizes import BYTES_PER_GB, readable_size
from daemon.config import Config, DiskConfig
from daemon.display_text import shown_lines
from daemon.intake.inbox import InboxLayout
from daemon.reports.checks import INSTALL_HINT, Check, Level, hub_probe, summary_line
from daemon.reports.embedder_checks import scene_embedder_check
from daemon.reports.face_detector_checks import face_detector_check
from daemon.reports.image_checks import image_formats_check
from daemon.reports.provider_checks import caption_provider_checks
from daemon.reports.training_checks import base_model_check, training_device_check
from daemon.reports.web_checks import review_page_check
from daemon.store import SCHEMA_VERSION

# (import name, distribution, what it is for)
LIBRARIES: tuple[tuple[str, str, str], ...] = (
    ("av", "av", "decoding movies (PyAV)"),
    ("numpy", "numpy", "frame arrays"),
    ("cv2", "opencv-python-headless", "image measures"),
    ("PIL", "pillow", "image files"),
    ("imagehash", "imagehash", "near-duplicate frames"),
    ("watchdog", "watchdog", "watching the inbox"),
    ("apscheduler", "apscheduler", "periodic jobs"),
    ("peewee", "peewee", "the database"),
    ("structlog", "structlog", "the log"),
    ("tenacity", "tenacity", "retries"),
    ("pybreaker", "pybreaker", "circuit breakers"),
    ("yaml", "pyyaml", "the config file"),
    ("boto3", "boto3", "AWS Bedrock captions"),
    ("torch", "torch", "models"),
    ("transformers", "transformers", "CLIP and text encoders"),
    ("sentence_transformers", "sentence-transformers", "scene embeddings"),
    ("diffusers", "diffusers", "LoRA training and generation"),
    ("peft", "peft", "LoRA adapters"),
    ("dlib", "dlib-bin", "face detection and recognition"),
    ("face_recognition", "face-recognition", "face matching"),
    ("starlette", "starlette", "the review page"),
    ("uvicorn", "uvicorn", "the review page's server"),
)


def run_doctor(config: Config, print_line: Callable[[str], None] = print) -> int:
    """Print every check, its fix when it is not ok, and a last line that counts warnings and
    errors ("all checks passed" only when there are none). The exit status is 1 when a check
    failed (something will not work until it is fixed) and 0 otherwise, warnings included
    (something works less well, or will fail later, such as a base model that cannot be
    downloaded)."""
    levels = []
    for check in collect_checks(config):
        # A detail may quote a path or a config value: shown, not sent to the terminal raw.
        print_line(shown_lines(f"[{check.level.value:>4}] {check.name}: {check.detail}"))
        if check.fix and check.level is not Level.OK:
            print_line(f"       fix: {shown_lines(check.fix)}")
        levels.append(check.level)
    print_line(summary_line(levels))
    return 1 if Level.FAIL in levels else 0


def collect_checks(config: Config) -> Iterator[Check]:
    yield Check(Level.OK, "config", str(config.source or "built-in defaults (no config.yaml)"))
    layout = InboxLayout(config.inbox)
    for folder in (layout.movies, layout.images, layout.faces, config.library):
        yield _folder_check(folder)
    yield _database_check(config.database_path)
    yield _disk_check(config.library, config.disk)
    for module, distribution, purpose in LIBRARIES:
        yield _library_check(module, distribution, purpose)
    yield _decoder_check()
    yield image_formats_check()
    yield _face_models_check()
    yield face_detector_check(config.faces)
    hub = hub_probe()  # asked once, by whichever check needs it first
    yield scene_embedder_check(config.scenes, "scenes" in config.pipeline.stages, hub)
    yield training_device_check(config.training)
    yield base_model_check(config.training, hub)
    yield from caption_provider_checks(config.captions, "captions" in config.pipeline.stages)
    yield review_page_check(config)


def _folder_check(folder: Path) -> Check:
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not folder.exists():
        if not existing.is_dir():
            return Check(
                Level.FAIL,
                f"folder {folder}",
                f"missing and {existing} is not a folder",
                f"move '{existing}' aside or point the config at another folder",
            )
        if os.access(existing, os.W_OK):
            return Check(Level.OK, f"folder {folder}", "missing; created at start")
        return Check(
            Level.FAIL,
            f"folder {folder}",
            f"missing and {existing} is not writable",
            f"create it: mkdir -p '{folder}' and give the daemon's user write access",
        )
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return Check(
            Level.FAIL,
            f"folder {folder}",
            f"not writable ({exc.strerror})",
            "give the daemon's user write access (it moves rejected files aside)",
        )
    return Check(Level.OK, f"folder {folder}", "exists and writable")


def _database_check(path: Path) -> Check:
    if not path.exists():
        return Check(Level.OK, "database", f"{path} does not exist yet; created at start")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.Error as exc:
        return Check(
            Level.FAIL,
            "database",
            f"{path}: {exc}",
            "move the file aside (the daemon makes a new one) or restore a backup",
        )
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        return Check(
            Level.FAIL,
            "database",
            f"schema {version} is newer than this program's",
            "upgrade diffusion-bunny",
        )
    return Check(Level.OK, "database", f"{path}, schema {version}, journal {mode}")


def _disk_check(library: Path, settings: DiskConfig) -> Check:
    existing = library if library.exists() else library.parent
    try:
        free = shutil.disk_usage(existing).free
    except OSError as exc:
        return Check(Level.WARN, "disk", f"cannot read free space: {exc}")
    text = f"{readable_size(free)} free in the library's file system"
    if free < settings.min_free_gb * BYTES_PER_GB:
        return Check(
            Level.WARN,
            "disk",
            f"{text}: under disk.min_free_gb ({settings.min_free_gb:g} GB), so the daemon "
            "starts no new work",
            "free some space (frames and models need room), or lower disk.min_free_gb",
        )
    return Check(Level.OK, "disk", text)


def _library_check(module: str, distribution: str, purpose: str) -> Check:
    from PIL import ImageFile

    # face_recognition turns on Pillow's loading of truncated images for the whole process at
    # import; a check must not change how everything after it reads pictures.
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        importlib.import_module(module)
        version = importlib.metadata.version(distribution)
    except Exception as exc:
        return Check(Level.FAIL, f"library {module}", f"{purpose}: {exc}", INSTALL_HINT)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved
    return Check(Level.OK, f"library {module}", f"{version} ({purpose})")


def _decoder_check() -> Check:
    try:
        import av
    except ImportError:
        return Check(Level.FAIL, "decoders", "PyAV is missing", INSTALL_HINT)
    wanted = ("h264", "hevc", "mpeg4", "vp9", "av1", "mjpeg")
    missing = [c for c in wanted if c not in av.codecs_available]
    if missing:
        return Check(Level.WARN, "decoders", f"FFmpeg lacks: {', '.join(missing)}")
    return Check(Level.OK, "decoders", f"FFmpeg decodes {', '.join(wanted)}")


def _face_models_check() -> Check:
    try:
        import face_recognition_models as models
    except ImportError:
        return Check(Level.FAIL, "face models", "face_recognition_models missing", INSTALL_HINT)
    network = Path(models.face_recognition_model_location())
    files = [
        Path(models.pose_predictor_model_location()),
        Path(models.pose_predictor_five_point_model_location()),
        network,
    ]
    absent = [str(f) for f in files if not f.is_file()]
    if absent:
        return Check(Level.FAIL, "face models", f"missing {', '.join(absent)}", INSTALL_HINT)
    from handlers.dlib_net_file import DlibNetFormatError, read_metric_net

    try:  # the encoder reads dlib's file itself (handlers.face_encoder): is it the known one?
        layers = len(read_metric_net(network).layers)
    except DlibNetFormatError as exc:
        return Check(Level.FAIL, "face models", f"the encoder cannot read it: {exc}", INSTALL_HINT)
    return Check(
        Level.OK,
        "face models",
        f"dlib landmark and recognition models present; the encoder reads its {layers} layers",
    )
