"""Names from the user's files reach the terminal escaped: `bunny status`, `bunny logs`,
`bunny name`, `bunny characters` and `bunny doctor` never print a raw ESC, CR, C1 control or
bidi override."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.characters.face_clusters import UnknownFaceClusters
from daemon.characters.names import character_name
from daemon.commands.cli import main
from daemon.config import FacesConfig, load_config
from daemon.reports.doctor import run_doctor
from daemon.reports.logview import LogFilter, show_log
from daemon.repository import Repository
from tests.daemon.characters.test_face_clusters import movie_with_faces, person

RED = "\x1b[31m"
HOSTILE = f"{RED}red\rover\u202eevil\x9b2J\x07"
RAW = ("\x1b", "\r", "\u202e", "\x9b", "\x07")


def assert_escaped(text: str) -> None:
    assert not [c for c in RAW if c in text], f"raw control characters in {text!r}"
    assert "\\x1b[31m" in text


@pytest.mark.parametrize(
    ("raw", "name"), [(f"{RED}Red", "[31mRed"), (HOSTILE, "[31mred over evil 2J")]
)
def test_names_lose_their_control_characters_where_they_are_made(raw: str, name: str) -> None:
    assert character_name(raw) == name


def test_a_name_that_cannot_be_one_is_quoted_bounded() -> None:
    with pytest.raises(ValueError, match="cannot name a character") as caught:
        character_name("\x1b" * 100_000)
    assert len(str(caught.value)) < 1000 and "\x1b" not in str(caught.value)


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BUNNY_CONFIG", raising=False)
    return tmp_path / "library"


@pytest.fixture
def repo(library: Path) -> Iterator[Repository]:
    repository = Repository(library / "bunny.db")
    yield repository
    repository.close()


def test_status_escapes_movie_names_and_errors(
    repo: Repository, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    movie = repo.add_movie("ab" * 32, f"{HOSTILE}.mp4", Path("inbox/movies/x.mp4"), 1)
    repo.mark_failed(movie.id, f"probe: cannot open {HOSTILE}.mp4\nsecond line", attempts=4)
    main(["status", "--library", str(library)])
    out = capsys.readouterr().out
    assert_escaped(out)
    assert "\\x0asecond line" in out, "an error's newline cannot forge a line of the table"


def test_logs_escape_every_field(library: Path) -> None:
    log = library / "logs" / "bunny.log"
    log.parent.mkdir(parents=True)
    entry = {
        "timestamp": "2024-05-01T12:34:56Z",
        "level": "warning",
        "event": f"reference photo rejected {HOSTILE}",
        "file": HOSTILE,
        HOSTILE: "a key too",
        "exception": f"Traceback\n  {HOSTILE}",
    }
    log.write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")
    printed = io.StringIO()
    assert show_log(log, LogFilter(), follow=False, lines=20, out=printed) == 0
    out = printed.getvalue()
    assert_escaped(out)
    assert "Traceback\n  \\x1b[31m" in out, "a traceback keeps its lines"


def test_name_echoes_the_name_escaped(
    repo: Repository, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    movie_with_faces(repo, library, person(1, 3))
    (cluster,) = UnknownFaceClusters(repo, library, FacesConfig(cluster_min_size=3)).run()
    assert main(["name", "--library", str(library), cluster, f"{RED}Red"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "are now \\x1b[31mRed's" in out
    assert main(["name", "--library", str(library), f"c{HOSTILE}", "X"]) != 0
    assert "\x1b" not in capsys.readouterr().err


def test_characters_of_an_older_database_are_listed_escaped(
    repo: Repository, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Today's names are made printable when made; an older database may hold any.
    movie_with_faces(repo, library, person(1, 2))
    repo.save_character(HOSTILE, f"t{RED}", "person")
    repo.name_faces(repo.stored_faces(), HOSTILE)
    assert main(["characters", "--library", str(library)]) == 0
    assert_escaped(capsys.readouterr().out)


def test_doctor_escapes_what_it_quotes(tmp_path: Path) -> None:
    config = load_config(None, {"library": str(tmp_path / f"lib{HOSTILE}")})
    lines: list[str] = []
    run_doctor(config, print_line=lines.append)
    assert_escaped("\n".join(lines))
