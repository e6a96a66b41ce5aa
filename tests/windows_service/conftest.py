"""The pywin32 stand-ins put where `import win32serviceutil` finds them, for one test."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

import windows_service
from tests.hosted import NOISY_LOGGERS
from tests.logging_state import restored_logging
from tests.windows_service.fake_pywin32 import FakeWindows

# Imported anew in each test, so that each binds that test's stand-ins.
WINDOWS_MODULES = ("windows_service.bunny_service", "windows_service.control")


def _forget_windows_modules() -> None:
    for name in WINDOWS_MODULES:
        sys.modules.pop(name, None)
        attribute = name.rpartition(".")[2]
        if hasattr(windows_service, attribute):
            delattr(windows_service, attribute)


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWindows]:
    fake = FakeWindows()
    for name, module in fake.modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    _forget_windows_modules()
    with restored_logging(*NOISY_LOGGERS):
        yield fake
    _forget_windows_modules()
