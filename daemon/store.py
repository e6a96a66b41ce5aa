"""The SQLite schema (peewee, WAL mode) and its migrations.

Only daemon/repository/ uses these models; everything else goes through it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import peewee as pw

from daemon.text_columns import PathField, PrintableTextField

database = pw.DatabaseProxy()


class MovieState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"  # a stage failed; retried at next_attempt_at
    DONE = "done"
    FAILED = "failed"  # the back-off ladder is exhausted; `bunny retry` requeues it
    REJECTED = "rejected"  # not usable; moved to inbox/rejected with a reason


class StageStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class FaceReviewState(enum.StrEnum):
    """What the user decided about an unknown face on the review page (null: nothing)."""

    IGNORED = "ignored"  # an extra, a crowd: never shown, clustered or matched again
    SET_ASIDE = "set_aside"  # taken out of its cluster: in the noise bucket, never clustered
    PLACED = "placed"  # put in its cluster by the user: the clustering leaves it there


class ReviewAction(enum.StrEnum):
    """A change to unknown faces made on the review page (daemon/characters/face_review.py)."""

    TO_CHARACTER = "to_character"
    TO_CLUSTER = "to_cluster"
    TO_NOISE = "to_noise"
    IGNORE_CLUSTER = "ignore_cluster"
    MERGE_CLUSTERS = "merge_clusters"


class SourceKind(enum.StrEnum):
    """What a movie row stands for: a movie file, or a part of a batch of still images
    (daemon/intake/images.py), whose frames are the images."""

    MOVIE = "movie"
    IMAGES = "images"


class ImageState(enum.StrEnum):
    WAITING = "waiting"  # settled and identified; not yet in a part
    BATCHED = "batched"  # in a part (a movie row of kind `images`) being processed
    DONE = "done"
    REJECTED = "rejected"  # moved to inbox/rejected/ with its reason
    DUPLICATE = "duplicate"  # byte-identical to an image already taken


class InboxFileStatus(enum.StrEnum):
    TAKEN = "taken"  # became a movie
    DUPLICATE = "duplicate"  # byte-identical to a movie taken under another name
    REJECTED = "rejected"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Meta(BaseModel):
    key = pw.CharField(primary_key=True)
    value = pw.TextField()


class Movie(BaseModel):
    id = pw.AutoField()
    sha256 = pw.CharField(unique=True, max_length=64)
    name = PrintableTextField()
    path = PathField()
    size = pw.BigIntegerField()
    state = pw.CharField(default=MovieState.QUEUED.value, index=True)
    stage = pw.CharField(null=True)
    progress = pw.FloatField(default=0.0)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(null=True)
    last_error = PrintableTextField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)
    kind = pw.CharField(default=SourceKind.MOVIE.value)  # a SourceKind (v15)


class StageRun(BaseModel):
    id = pw.AutoField()
    movie = pw.ForeignKeyField(Movie, backref="stage_runs", on_delete="CASCADE")
    stage = pw.CharField()
    status = pw.CharField(default=StageStatus.PENDING.value)
    attempts = pw.IntegerField(default=0)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)
    seconds = pw.FloatField(null=True)
    error = PrintableTextField(null=True)
    result = pw.TextField(null=True)  # JSON of the stage's result dataclass

    class Meta:
        indexes = ((("movie", "stage"), True),)


class InboxFile(BaseModel):
    """A file seen in the inbox, so a rescan neither hashes nor reports it twice."""

    id = pw.AutoField()
    path = PathField(unique=True)
    size = pw.BigIntegerField()
    mtime_ns = pw.BigIntegerField()
    sha256 = pw.CharField(max_length=64, null=True)
    status = pw.CharField()
    movie = pw.ForeignKeyField(Movie, null=True, backref="inbox_files", on_delete="SET NULL")
    seen_at = pw.DateTimeField(default=utcnow)


class ImageRow(BaseModel):
    """A still image from inbox/images/ (v15): settled, identified by sha256, then taken into
    a part of its batch, where it becomes the frame named `frame`."""

    id = pw.AutoField()
    sha256 = pw.CharField(max_length=64, index=True)
    # Not unique: a part keeps its row (its frames' lineage) when the user replaces the file
    # at that path, which comes in again as a new image.
    path = PathField(index=True)
    # The folder dropped into inbox/images/ ("" for loose images), its name kept exactly: it
    # names the folders its images go to in done/ and rejected/ (shown escaped, as paths are).
    batch = PathField()
    size = pw.BigIntegerField()
    mtime_ns = pw.BigIntegerField()
    state = pw.CharField()
    reason = PrintableTextField(null=True)
    part = pw.ForeignKeyField(Movie, null=True, backref="images", on_delete="SET NULL")
    frame = pw.CharField(null=True)
    settled_at = pw.DateTimeField(default=utcnow)
    # Where it is being moved (set aside or done), recorded before the move: a restart
    # finishes the move from either side of a kill (daemon/intake/image_parts.py).
    moving_to = PathField(null=True)

    class Meta:
        table_name = "image"
        # A part is formed from its batch's waiting images, and a frame found by its part,
        # through these indexes alone: no scan of a table of a million images.
        indexes = ((("state", "batch"), False), (("part", "frame"), False))


class ShotRow(BaseModel):
    id = pw.AutoField()
    movie = pw.ForeignKeyField(Movie, backref="shots", on_delete="CASCADE")
    number = pw.IntegerField()
    start_seconds = pw.FloatField()
    end_seconds = pw.FloatField()
    kind = pw.CharField()
    mean_motion = pw.FloatField()

    class Meta:
        table_name = "shot"
        indexes = ((("movie", "number"), True),)


class FrameRow(BaseModel):
    """A frame the `frames` stage chose, kept or not; `reason` says why not."""

    id = pw.AutoField()
    movie = pw.ForeignKeyField(Movie, backref="frames", on_delete="CASCADE")
    name = pw.CharField()  # the timestamp, as in frames/<name>.jpg
    seconds = pw.FloatField()
    shot = pw.IntegerField()
    role = pw.CharField()
    verdict = pw.CharField(index=True)
    reason = pw.TextField(null=True)
    file = pw.TextField(null=True)
    sharpness = pw.FloatField()
    relative_sharpness = pw.FloatField()
    brightness = pw.FloatField()
    flat_fraction = pw.FloatField()
    phash = pw.BigIntegerField()  # the 64-bit hash as a signed integer (SQLite's INTEGER)
    duplicate_of = pw.TextField(null=True)

    class Meta:
        table_name = "frame"
        indexes = ((("movie", "name"), True),)


class Character(BaseModel):
    id = pw.AutoField()
    name = pw.CharField(unique=True)  # also its folder name under library/characters/
    trigger_word = pw.CharField()
    class_word = pw.CharField()
    created_at = pw.DateTimeField(default=utcnow)


class ReferenceFace(BaseModel):
    """One accepted reference photo of a character and the encoding of its face."""

    id = pw.AutoField()
    character = pw.ForeignKeyField(Character, backref="references", on_delete="CASCADE")
    sha256 = pw.CharField(max_length=64)
    file = pw.TextField()  # its copy, relative to the library
    top = pw.IntegerField()
    right = pw.IntegerField()
    bottom = pw.IntegerField()
    left = pw.IntegerField()
    encoding = pw.BlobField()  # 128 float64, little-endian
    added_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("character", "sha256"), True),)


class FaceRow(BaseModel):
    """A face found in a kept frame; `character` is null while it matches nobody."""

    id = pw.AutoField()
    movie = pw.ForeignKeyField(Movie, backref="faces", on_delete="CASCADE")
    frame = pw.CharField()  # the frame's name (its timestamp)
    number = pw.IntegerField()  # the face's place in the frame, largest first
    top = pw.IntegerField()
    right = pw.IntegerField()
    bottom = pw.IntegerField()
    left = pw.IntegerField()
    encoding = pw.BlobField()
    character = pw.ForeignKeyField(Character, null=True, backref="faces", on_delete="SET NULL")
    distance = pw.FloatField()
    runner_up = pw.FloatField()
    cluster = pw.CharField(null=True, index=True)  # unknown faces alike: library/unknown/<id>/
    confirmed = pw.BooleanField(default=False)  # named by the user: matching never changes it
    review = pw.CharField(null=True)  # a FaceReviewState, or null (v12)
    turned_away = pw.BooleanField(default=False)  # named only within the doubtful tolerance (v14)

    class Meta:
        table_name = "face"
        indexes = ((("movie", "frame", "number"), True),)


class DatasetImageRow(BaseModel):
    """An image the `dataset` stage wrote into a character's dataset folder."""

    id = pw.AutoField()
    movie = pw.ForeignKeyField(Movie, backref="dataset_images", on_delete="CASCADE")
    character = pw.ForeignKeyField(Character, backref="dataset_images", on_delete="CASCADE")
    frame = pw.CharField()
    file = pw.TextField(unique=True)  # relative to the library
    left = pw.IntegerField()
    top = pw.IntegerField()
    width = pw.IntegerField()
    height = pw.IntegerField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "dataset_image"
        # (character, file): counting each character's captioned images reads the index alone.
        indexes = ((("character", "file"), False),)


class CorrectionKind(enum.StrEnum):
    MOVED = "moved"  # the user moved a dataset image to another character's folder
    DELETED = "deleted"  # the user deleted it: not this character, never put back


class Correction(BaseModel):
    """A user's correction of a face's character, made by moving or deleting a dataset image."""

    id = pw.AutoField()
    face = pw.ForeignKeyField(FaceRow, null=True, backref="corrections", on_delete="SET NULL")
    movie = pw.ForeignKeyField(Movie, backref="corrections", on_delete="CASCADE")
    frame = pw.CharField()
    kind = pw.CharField()
    file_before = pw.TextField()
    file_after = pw.TextField(null=True)
    from_character = pw.CharField()
    to_character = pw.CharField(null=True)
    at = pw.DateTimeField(default=utcnow)
    # Undone from the review page: kept in the log, left out of the triplets.
    undone_at = pw.DateTimeField(null=True)


class FrameSceneRow(BaseModel):
    """A kept frame's scene and image embedding; `embedder` names the model that made it."""

    id = pw.AutoField()
    movie = pw.ForeignKeyField(Movie, backref="frame_scenes", on_delete="CASCADE")
    frame = pw.CharField()
    scene = pw.IntegerField()
    embedder = pw.CharField()  # vectors of different embedders are never compared
    vector = pw.BlobField()  # float32, little-endian, L2-normalised

    class Meta:
        table_name = "frame_scene"
        indexes = ((("movie", "frame"), True),)


class CaptionRow(BaseModel):
    """A caption of one dataset image by one provider; asked for once, kept for good.

    `stale` marks a caption `bunny recaption` asked to replace: it serves until a new one
    arrives, so the image never goes without text.
    """

    id = pw.AutoField()
    file = pw.TextField()  # the dataset image, relative to the library
    movie = pw.ForeignKeyField(Movie, backref="captions", on_delete="CASCADE")
    character = pw.CharField()
    provider = pw.CharField()
    text = pw.TextField()
    prompt_sha = pw.CharField(max_length=16)  # which prompt asked for it
    stale = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "caption"
        # (file, stale): counting the captioned images reads the index alone (v11).
        indexes = ((("file", "provider"), True), (("file", "stale"), False))


class TrainingState(enum.StrEnum):
    REQUESTED = "requested"  # `bunny train NAME`: the daemon's training job starts it
    RUNNING = "running"
    STOPPED = "stopped"  # stopped or killed with its folder kept: resumed from its checkpoint
    DONE = "done"
    FAILED = "failed"
    REFUSED = "refused"  # the dataset did not pass validation; nothing was trained


class TrainingRunRow(BaseModel):
    """A training run of a character's LoRA (or a request for one), as the daemon saw it.

    `basis_images` is the captioned image count the decision was made on: the next version is
    due when that count has grown by `training.growth_fraction`. `images` is what validation
    kept (dataset.json). The run folder itself holds the truth about progress.
    """

    id = pw.AutoField()
    character = pw.CharField(index=True)
    version = pw.IntegerField(null=True)
    folder = pw.TextField(null=True)  # relative to the library
    state = pw.CharField(index=True)
    forced = pw.BooleanField(default=False)  # by `bunny train`: no threshold, no cooldown
    requested_at = pw.DateTimeField(default=utcnow)
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)
    basis_images = pw.IntegerField(null=True)
    images = pw.IntegerField(null=True)
    steps = pw.IntegerField(null=True)
    final_loss = pw.FloatField(null=True)
    error = pw.TextField(null=True)
    # Kills of its worker (a crash, out of memory) with no checkpoint gained since the last.
    kills = pw.IntegerField(default=0)
    killed_at_step = pw.IntegerField(null=True)

    class Meta:
        table_name = "training_run"


class AdoptionIntent(BaseModel):
    """A cluster adoption: begun (its faces named, the files and references to follow) or
    finished.

    Written in the transaction that names the faces and finished in the one that adds the
    references, so a restart finds each adoption either not begun or with what is left to do.
    """

    id = pw.AutoField()
    cluster = pw.CharField(index=True)
    character = pw.ForeignKeyField(Character, on_delete="CASCADE")
    faces = pw.IntegerField()
    # A folder the user moved into characters/: its crops (a JSON list) are filed there.
    filed_from = pw.TextField(null=True)
    filed_to = pw.TextField(null=True)
    crops = pw.TextField(default="[]")
    created_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True, index=True)  # null: still to finish

    class Meta:
        table_name = "adoption_intent"


class PlannedReferenceRow(BaseModel):
    """A reference an adoption is to write; its bytes are kept here until the file is in place."""

    id = pw.AutoField()
    intent = pw.ForeignKeyField(AdoptionIntent, backref="references", on_delete="CASCADE")
    sha256 = pw.CharField(max_length=64)
    file = pw.TextField()
    top = pw.IntegerField()
    right = pw.IntegerField()
    bottom = pw.IntegerField()
    left = pw.IntegerField()
    encoding = pw.BlobField()
    data = pw.BlobField()

    class Meta:
        table_name = "planned_reference"


class PendingDeletion(BaseModel):
    """A library file a stage is about to delete: the stage's doing, not a user's correction.

    Recorded before the file goes; cleared when the stage that recorded it is done.
    """

    id = pw.AutoField()
    movie = pw.ForeignKeyField(Movie, on_delete="CASCADE")
    stage = pw.CharField()
    file = pw.TextField(unique=True)  # relative to the library

    class Meta:
        table_name = "pending_deletion"


class FaceReviewRow(BaseModel):
    """One change the user made to unknown faces on the review page, kept so it can be undone:
    each face's columns before and after it (JSON), and a cluster folder it moved aside."""

    id = pw.AutoField()
    action = pw.CharField()  # a ReviewAction
    target = pw.TextField(default="")  # the character, cluster or bucket the faces went to
    before = pw.TextField()  # JSON list of each face's review columns before the change
    after = pw.TextField()  # and after it
    folder_from = pw.TextField(null=True)  # a cluster folder moved aside, relative to the library
    folder_to = pw.TextField(null=True)
    at = pw.DateTimeField(default=utcnow)
    undone_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "face_review"


class DropState(enum.StrEnum):
    APPLYING = "applying"  # recorded; its files may be moving, its corrections not yet read
    APPLIED = "applied"
    UNDOING = "undoing"  # its files may be moving back, its rows not yet restored
    UNDONE = "undone"


class PageDrop(BaseModel):
    """One drop on the review page: dataset images corrected together, undoable as one.

    Recorded before its files move and again before they move back, so a restart finishes
    whichever of the two a kill interrupted.
    """

    id = pw.AutoField()
    target = pw.TextField()  # as the page sent it: `character:<name>`, `not-this-person`
    state = pw.CharField(index=True)
    after_correction = pw.IntegerField()  # the highest correction id before it began
    created_at = pw.DateTimeField(default=utcnow)
    undone_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "page_drop"


class PageDropItem(BaseModel):
    """A dataset image of a drop and what undoing it restores: its row, its face's label."""

    id = pw.AutoField()
    drop = pw.ForeignKeyField(PageDrop, backref="items", on_delete="CASCADE")
    image = pw.IntegerField()  # the dataset image's row id (not a key: the row may be gone)
    movie = pw.ForeignKeyField(Movie, on_delete="CASCADE")
    frame = pw.CharField()
    file_before = pw.TextField()
    file_after = pw.TextField(null=True)  # null: taken out of the dataset ("not this person")
    kept_file = pw.TextField(null=True)  # where such an image waits for an undo
    from_character = pw.CharField()
    left = pw.IntegerField()
    top = pw.IntegerField()
    width = pw.IntegerField()
    height = pw.IntegerField()
    image_created_at = pw.DateTimeField()
    face = pw.ForeignKeyField(FaceRow, null=True, on_delete="SET NULL")
    face_character = pw.CharField(null=True)
    face_distance = pw.FloatField(null=True)
    face_runner_up = pw.FloatField(null=True)
    face_cluster = pw.CharField(null=True)
    face_confirmed = pw.BooleanField(default=False)
    correction = pw.ForeignKeyField(Correction, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "page_drop_item"


MODELS: list[type[BaseModel]] = [
    Meta,
    Movie,
    StageRun,
    InboxFile,
    ShotRow,
    FrameRow,
    Character,
    ReferenceFace,
    FaceRow,
    DatasetImageRow,
    Correction,
    FrameSceneRow,
    CaptionRow,
    TrainingRunRow,
    AdoptionIntent,
    PlannedReferenceRow,
    PendingDeletion,
    FaceReviewRow,
    PageDrop,
    PageDropItem,
]


def _create_v1() -> None:
    database.create_tables([Meta, Movie, StageRun, InboxFile])


def _add_shots_and_frames_v2() -> None:
    database.create_tables([ShotRow, FrameRow])


def _add_characters_and_faces_v3() -> None:
    database.create_tables([Character, ReferenceFace, FaceRow])


def _add_dataset_images_v4() -> None:
    database.create_tables([DatasetImageRow])


def _add_face_clusters_v5() -> None:
    # A database made at v3 by this version already has it (create_tables uses the model).
    columns = _columns("face")
    if "cluster" not in columns:
        database.execute_sql('ALTER TABLE "face" ADD COLUMN "cluster" VARCHAR(255)')
        database.execute_sql('CREATE INDEX IF NOT EXISTS "face_cluster" ON "face" ("cluster")')
    if "confirmed" not in columns:
        database.execute_sql('ALTER TABLE "face" ADD COLUMN "confirmed" INTEGER NOT NULL DEFAULT 0')


def _columns(table: str) -> set[str]:
    return {column.name for column in database.get_columns(table)}


def _add_corrections_v6() -> None:
    database.create_tables([Correction])


def _add_scenes_and_captions_v7() -> None:
    database.create_tables([FrameSceneRow, CaptionRow])


def _add_training_runs_v8() -> None:
    database.create_tables([TrainingRunRow])


def _add_training_kills_v9() -> None:
    # A database made at v8 by this version already has them (create_tables uses the model).
    columns = _columns("training_run")
    if "kills" not in columns:
        database.execute_sql(
            'ALTER TABLE "training_run" ADD COLUMN "kills" INTEGER NOT NULL DEFAULT 0'
        )
    if "killed_at_step" not in columns:
        database.execute_sql('ALTER TABLE "training_run" ADD COLUMN "killed_at_step" INTEGER')


def _add_intents_v10() -> None:
    database.create_tables([AdoptionIntent, PlannedReferenceRow, PendingDeletion])


def _index_captioned_images_v11() -> None:
    # Databases made by this version already have them (create_tables uses the models).
    database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "caption_file_stale" ON "caption" ("file", "stale")'
    )
    database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "dataset_image_character_id_file" '
        'ON "dataset_image" ("character_id", "file")'
    )


def _add_face_review_v12() -> None:
    # A database made at v3 by this version already has the column (create_tables uses the model).
    if "review" not in _columns("face"):
        database.execute_sql('ALTER TABLE "face" ADD COLUMN "review" VARCHAR(255)')
    database.create_tables([FaceReviewRow])
    # The unknown faces page reads clusters, singletons and set-aside faces from this index
    # alone, and the faces matched with a small margin from the second, at 300,000 faces.
    database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "face_unknown_cluster_review" '
        'ON "face" ("character_id", "cluster", "review")'
    )
    database.execute_sql(
        'CREATE INDEX IF NOT EXISTS "face_small_margin" ON "face" ("runner_up" - "distance") '
        'WHERE "runner_up" >= 0 AND "character_id" IS NOT NULL AND "confirmed" = 0'
    )


def _add_page_drops_v13() -> None:
    # A database made at v6 by this version already has the column (create_tables uses the model).
    if "undone_at" not in _columns("correction"):
        database.execute_sql('ALTER TABLE "correction" ADD COLUMN "undone_at" DATETIME')
    database.create_tables([PageDrop, PageDropItem])


def _add_face_pose_v14() -> None:
    # A database made at v3 or later by this version already has it (create_tables uses the model).
    if "turned_away" not in _columns("face"):
        database.execute_sql(
            'ALTER TABLE "face" ADD COLUMN "turned_away" INTEGER NOT NULL DEFAULT 0'
        )


def _add_images_v15() -> None:
    # A database made by this version already has the column (create_tables uses the model).
    if "kind" not in _columns("movie"):
        database.execute_sql(
            'ALTER TABLE "movie" ADD COLUMN "kind" VARCHAR(255) NOT NULL DEFAULT \'movie\''
        )
    database.create_tables([ImageRow])


# Append a function to move the schema one version forward; never edit an old one.
MIGRATIONS: list[Callable[[], None]] = [
    _create_v1,
    _add_shots_and_frames_v2,
    _add_characters_and_faces_v3,
    _add_dataset_images_v4,
    _add_face_clusters_v5,
    _add_corrections_v6,
    _add_scenes_and_captions_v7,
    _add_training_runs_v8,
    _add_training_kills_v9,
    _add_intents_v10,
    _index_captioned_images_v11,
    _add_face_review_v12,
    _add_page_drops_v13,
    _add_face_pose_v14,
    _add_images_v15,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaMismatchError(RuntimeError):
    """The database's schema is not this program's; the message says what to do."""


class SchemaTooNewError(SchemaMismatchError):
    pass


class SchemaTooOldError(SchemaMismatchError):
    pass


def open_database(path: Path, read_only: bool = False) -> pw.SqliteDatabase:
    """Open (creating if needed) the database file and bring its schema up to date; or,
    `read_only`, open it for reading only, never writing a byte (a full disk, a daemon at
    work), refusing a schema that is not this program's."""
    if read_only:
        return _open_read_only(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = pw.SqliteDatabase(
        str(path),
        pragmas={
            "journal_mode": "wal",
            "synchronous": "normal",
            "foreign_keys": 1,
            "busy_timeout": 15000,
        },
        check_same_thread=False,
    )
    database.initialize(db)
    db.connect(reuse_if_open=True)
    migrate()
    return db


def _open_read_only(path: Path) -> pw.SqliteDatabase:
    # query_only on this thread's connection, not the URI's mode=ro: peewee's proxy is one per
    # process, and a connection other threads open later (a daemon hosted in-process) must
    # still write. The caller closes this connection when done.
    db = pw.SqliteDatabase(
        f"{path.resolve().as_uri()}?mode=rw",  # never creates the file
        uri=True,
        pragmas={"foreign_keys": 1, "busy_timeout": 15000},
        check_same_thread=False,
    )
    database.initialize(db)
    db.connect(reuse_if_open=True)
    db.execute_sql("PRAGMA query_only = 1")
    try:
        check_schema(schema_version())
    except SchemaMismatchError:
        db.close()
        raise
    return db


def check_schema(current: int) -> None:
    if current > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"database schema version {current} is newer than this program's "
            f"{SCHEMA_VERSION}; upgrade diffusion-bunny"
        )
    if current < SCHEMA_VERSION:
        raise SchemaTooOldError(
            f"database schema version {current} is older than this program's "
            f"{SCHEMA_VERSION}; start the daemon once (`bunny run`) to upgrade it"
        )


def schema_version() -> int:
    if not database.table_exists(Meta._meta.table_name):
        return 0
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else 0


def migrate() -> None:
    with database.atomic("IMMEDIATE"):
        current = schema_version()
        if current > SCHEMA_VERSION:
            check_schema(current)
        for step in MIGRATIONS[current:]:
            step()
        Meta.replace(key="schema_version", value=str(SCHEMA_VERSION)).execute()
