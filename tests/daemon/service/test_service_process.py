"""daemon/service/process.py: a python.exe for training's child, and standard streams."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from daemon.service.process import prepare_service_process, python_for_children


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_pythonservice_hands_children_the_virtual_environments_python(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    python = touch(venv / "Scripts" / "python.exe")
    host = touch(venv / "pythonservice.exe")
    assert python_for_children(host, venv) == python


def test_pythonservice_in_a_plain_installation_hands_the_python_beside_it(
    tmp_path: Path,
) -> None:
    python = touch(tmp_path / "python.exe")
    assert python_for_children(touch(tmp_path / "PythonService.exe"), tmp_path) == python


def test_any_other_interpreter_is_kept(tmp_path: Path) -> None:
    python = touch(tmp_path / "bin" / "python3")
    touch(tmp_path / "Scripts" / "python.exe")
    assert python_for_children(python, tmp_path) == python


def test_missing_standard_streams_write_to_the_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    output = tmp_path / "logs" / "service-output.log"
    prepare_service_process(output)
    try:
        print("a stray line")
        sys.stderr.write("a stray traceback\n")
    finally:
        sys.stdout.close()
    assert output.read_text(encoding="utf-8") == "a stray line\na stray traceback\n"


def test_streams_that_exist_are_kept(tmp_path: Path) -> None:
    before = (sys.stdout, sys.stderr, sys.executable)
    prepare_service_process(tmp_path / "service-output.log")
    assert (sys.stdout, sys.stderr, sys.executable) == before
    assert not (tmp_path / "service-output.log").exists()
