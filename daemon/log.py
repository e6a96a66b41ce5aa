"""structlog set-up: JSON lines to a rotating file, readable lines on the console.

Secrets never reach a line: every value the environment or the config holds under a
secret-looking name is replaced with '***' in every rendered field, tracebacks included.
Lines about a movie carry `movie`, `stage` and `job`, bound as context variables by the
code that works on it. A file name that is not valid UTF-8 is written with its bytes escaped
(`caf\\xe9.mp4`): no line is ever lost to its encoding.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from daemon.config import Config, LogConfig
from daemon.log_fields import BoundFields, EscapeControls, escape_undecodable

# Whole words of a name (OPENAI_API_KEY, hf-token, db.password), so that "keyframes" or
# "author" are not taken for secrets.
SECRET_NAME = re.compile(
    r"(?:^|[_\-.])(?:API)?(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|AUTH|AUTHORIZATION)"
    r"(?:$|[_\-.])",
    re.IGNORECASE,
)
MIN_SECRET_LENGTH = 6
MASK = "***"


def secrets_from_environment(environ: Mapping[str, str] | None = None) -> set[str]:
    environ = os.environ if environ is None else environ
    return {
        value
        for name, value in environ.items()
        if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_LENGTH
    }


class Redactor:
    """A structlog processor that masks known secret values and secret-named fields."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        for key, value in list(event_dict.items()):
            event_dict[key] = self._field(key, value)
        return event_dict

    def _field(self, key: Any, value: Any) -> Any:
        if isinstance(key, str) and SECRET_NAME.search(key) and value:
            return MASK
        return self._mask(value)

    def _mask(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, list | tuple):
            return type(value)(self._mask(v) for v in value)
        if isinstance(value, dict):
            return {k: self._field(k, v) for k, v in value.items()}
        return value


def configure_logging(config: LogConfig, log_path: Path, secrets: Iterable[str]) -> None:
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    redact = Redactor(secrets)
    final: list[Processor] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        escape_undecodable,
        redact,
        # After the masking: a cut must not leave half a secret unmasked.
        BoundFields(),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(config.level.upper())
    log_path.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        log_path,
        maxBytes=config.max_bytes,
        backupCount=config.backups,
        encoding="utf-8",
        errors="backslashreplace",  # the last guard: a line is never lost to encoding
    )
    file_handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[*final, structlog.processors.JSONRenderer(ensure_ascii=False)],
            foreign_pre_chain=shared,
        )
    )
    root.addHandler(file_handler)
    if config.console != "off":
        renderer: Processor = (
            structlog.processors.JSONRenderer(ensure_ascii=False)
            if config.console == "json"
            else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        )
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                processors=[*final, EscapeControls(), renderer], foreign_pre_chain=shared
            )
        )
        root.addHandler(console)
    # Third-party chatter that would drown the daemon's own lines.
    for noisy in ("apscheduler", "watchdog", "botocore", "urllib3", "PIL", "peewee", "tzlocal"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def configure_daemon_logging(config: Config) -> None:
    """The daemon's logging, the same for `bunny run` and the Windows service."""
    # The caption key's variable may have any name; its value is masked like the others.
    caption_key = os.environ.get(config.captions.openai.api_key_env, "")
    secrets = secrets_from_environment() | ({caption_key} if caption_key else set())
    configure_logging(config.log, config.log_path, secrets)


def get_logger(name: str = "bunny") -> Any:
    return structlog.get_logger(name)
