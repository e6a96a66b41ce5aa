"""`bunny lineage` as text: one labelled line per fact of an image, one line per image of a
run. Every name, path and caption is escaped (display_text.shown): they come from files."""

from __future__ import annotations

from daemon.display_text import REASON_LIMIT, shown
from daemon.reports.batch_status import LOOSE
from daemon.reports.lineage import Lineage, RunLineage, Source
from daemon.reports.lineage_models import ModelUse
from daemon.repository import CorrectionLogEntry, LineageFace, LineageFrame
from daemon.store import SourceKind

LABEL = 12  # the width of the label column


def render_lineage(lineage: Lineage) -> str:
    crop = lineage.crop
    lines = [
        shown(lineage.file, REASON_LIMIT),
        _line("character", shown(lineage.character)),
        *_source_lines(lineage.source),
    ]
    if lineage.shot is not None and lineage.source.kind is SourceKind.IMAGES:
        lines.append(_line("shot", f"{lineage.shot.number}: the image alone"))
    elif lineage.shot is not None:
        shot = lineage.shot
        lines.append(_line("shot", f"{shot.number}: {shot.start_seconds:.3f}-"
                     f"{shot.end_seconds:.3f} s, {shot.kind.value}"))  # fmt: skip
    if lineage.scene is not None:
        lines.append(_line("scene", f"{lineage.scene.number} (embedder {lineage.scene.embedder})"))
    if lineage.face is not None:
        lines.append(_line("face", _face(lineage.face)))
    lines.append(_line("crop", f"left {crop.left}, top {crop.top}, {crop.width}x{crop.height} "
                       "in the frame"))  # fmt: skip
    if lineage.frame is not None:
        lines.extend(_quality_lines(lineage.frame))
    lines.extend(_caption_lines(lineage))
    lines.extend(_line("correction", _correction(c)) for c in lineage.corrections)
    lines.extend(_line("model", _model(m)) for m in lineage.models)
    if not lineage.models:
        lines.append(_line("model", "no finished training run used it yet"))
    return "\n".join(lines)


def render_run(run: RunLineage) -> str:
    summary = shown(run.training_json, REASON_LIMIT) if run.training_json else "no training.json"
    lines = [f"{shown(run.folder, REASON_LIMIT)}: {len(run.images)} image(s); {summary}"]
    for image in run.images:
        where = _source_brief(image.source) if image.source else "source unknown"
        found = "" if image.recorded else "  (from the database)"
        lines.append(f"  {shown(image.file)}  {where}{found}")
    return "\n".join(lines)


def _line(label: str, text: str) -> str:
    return f"  {label:<{LABEL}}{text}"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "time unknown"
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{rest:06.3f}"


def _source_lines(source: Source) -> list[str]:
    if source.kind is SourceKind.IMAGES:
        # A part's own sha256 says nothing to a person; its folder is the batch's.
        facts = [("batch folder", source.movie_path), ("image", source.image_path),
                 ("image sha256", source.image_sha256)]  # fmt: skip
    else:
        facts = [("sha256", source.movie_sha256), ("path", source.movie_path)]
    return [_line("source", _source_brief(source))] + [
        _line("", f"{label} {shown(value, REASON_LIMIT)}") for label, value in facts if value
    ]


def _source_brief(source: Source) -> str:
    name = shown(source.movie_name) if source.movie_name else "(not in the database)"
    if source.kind is SourceKind.IMAGES:
        batch = shown(source.batch or LOOSE) if source.batch is not None else "unknown"
        return (
            f"image of batch {batch}, part {name} ({source.movie_key}), "
            f"its frame {shown(source.frame)}"
        )
    return (
        f"{source.kind.value} {name} ({source.movie_key}), "
        f"frame {shown(source.frame)} at {_clock(source.seconds)}"
    )


def _face(face: LineageFace) -> str:
    box = face.box
    distance = f"{face.distance:.3f}" if face.distance is not None else "none"
    runner_up = f"{face.runner_up:.3f}" if face.runner_up is not None else "none"
    how = "confirmed by you" if face.confirmed else "matched"
    away = ", turned away" if face.turned_away else ""
    name = shown(face.character) if face.character else "nobody"
    return (
        f"#{face.number} {name}, box top {box.top} right {box.right} bottom {box.bottom} "
        f"left {box.left}; distance {distance} (runner-up {runner_up}); {how}{away}"
    )


def _quality_lines(frame: LineageFrame) -> list[str]:
    verdict = frame.verdict.value + (f" ({shown(frame.reason)})" if frame.reason else "")
    lines = [
        _line("quality", f"{verdict}; sharpness {frame.sharpness:.1f} "
              f"(relative {frame.relative_sharpness:.2f}), brightness {frame.brightness:.3f}, "
              f"flat {frame.flat_fraction:.3f}, phash {frame.phash}"),
    ]  # fmt: skip
    if frame.duplicate_of:
        lines.append(_line("", f"duplicate of {shown(frame.duplicate_of)}"))
    return lines


def _caption_lines(lineage: Lineage) -> list[str]:
    caption = lineage.caption
    if caption.text is None:
        lines = [_line("caption", "none stored")]
    else:
        stale = " (stale: a new one was asked for)" if caption.stale else ""
        text = shown(caption.text, REASON_LIMIT)
        lines = [_line("caption", f'"{text}" by {shown(caption.provider or "?")}{stale}')]
    if caption.file_text is None:
        lines.append(_line("", "no .txt beside the image"))
    elif caption.edited:
        lines.append(_line("", f'.txt edited by hand: "{shown(caption.file_text, REASON_LIMIT)}"'))
    return lines


def _correction(entry: CorrectionLogEntry) -> str:
    target = shown(entry.to_character) if entry.to_character else "(nobody)"
    undone = " (undone)" if entry.undone else ""
    after = f" -> {shown(entry.file_after, REASON_LIMIT)}" if entry.file_after else ""
    return (
        f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.kind.value} {shown(entry.from_character)} -> "
        f"{target}{undone}: {shown(entry.file_before, REASON_LIMIT)}{after}"
    )


def _model(use: ModelUse) -> str:
    bytes_ = "same bytes" if use.same_bytes else "the file changed since"
    summary = shown(use.training_json, REASON_LIMIT) if use.training_json else "no training.json"
    finished = f", finished {shown(use.finished)}" if use.finished else ""
    return f"{shown(use.model)} ({bytes_}{finished}): {shown(use.folder, REASON_LIMIT)}, {summary}"
