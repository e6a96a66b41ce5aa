"""Drop rows read into records and records written as rows (for page_drops.py)."""

from __future__ import annotations

from daemon.repository.drop_records import DropMove, DroppedImage, DropRecord, FaceLabel
from daemon.repository.rows import name_of
from daemon.store import DatasetImageRow, DropState, FaceRow, PageDrop, PageDropItem
from handlers.letterbox import CropBox


def dropped_image(row: DatasetImageRow) -> DroppedImage:
    face = (
        FaceRow.select()
        .where(
            FaceRow.movie == row.movie_id,  # type: ignore[attr-defined]
            FaceRow.frame == row.frame,
            FaceRow.character == row.character_id,  # type: ignore[attr-defined]
        )
        .order_by(FaceRow.number)
        .first()
    )
    return DroppedImage(
        image_id=row.id,
        movie_id=row.movie_id,  # type: ignore[attr-defined]
        frame=row.frame,
        character=row.character.name,
        file=row.file,
        crop=CropBox(row.left, row.top, row.width, row.height),
        created_at=row.created_at,
        face=face_label(face) if face is not None else None,
    )


def face_label(row: FaceRow) -> FaceLabel:
    return FaceLabel(
        face_id=row.id,
        character=name_of(row.character),
        distance=row.distance if row.distance >= 0 else None,
        runner_up=row.runner_up if row.runner_up >= 0 else None,
        cluster=row.cluster,
        confirmed=bool(row.confirmed),
    )


def item_columns(move: DropMove) -> dict[str, object]:
    image, face = move.image, move.image.face
    return {
        "image": image.image_id,
        "movie": image.movie_id,
        "frame": image.frame,
        "file_before": image.file,
        "file_after": move.file_after,
        "kept_file": move.kept_file,
        "from_character": image.character,
        "left": image.crop.left,
        "top": image.crop.top,
        "width": image.crop.width,
        "height": image.crop.height,
        "image_created_at": image.created_at,
        "face": face.face_id if face else None,
        "face_character": face.character if face else None,
        "face_distance": face.distance if face else None,
        "face_runner_up": face.runner_up if face else None,
        "face_cluster": face.cluster if face else None,
        "face_confirmed": face.confirmed if face else False,
    }


def drop_record(drop: PageDrop) -> DropRecord:
    items = PageDropItem.select().where(PageDropItem.drop == drop.id).order_by(PageDropItem.id)
    moves = tuple(drop_move(item) for item in items)
    return DropRecord(drop.id, drop.target, DropState(drop.state), moves, drop.created_at)


def drop_move(item: PageDropItem) -> DropMove:
    face_id = item.face_id  # type: ignore[attr-defined]
    face = (
        FaceLabel(
            face_id, item.face_character, item.face_distance, item.face_runner_up,
            item.face_cluster, bool(item.face_confirmed),
        )
        if face_id is not None
        else None
    )  # fmt: skip
    image = DroppedImage(
        image_id=item.image,
        movie_id=item.movie_id,  # type: ignore[attr-defined]
        frame=item.frame,
        character=item.from_character,
        file=item.file_before,
        crop=CropBox(item.left, item.top, item.width, item.height),
        created_at=item.image_created_at,
        face=face,
    )
    return DropMove(image, item.file_after, item.kept_file)
