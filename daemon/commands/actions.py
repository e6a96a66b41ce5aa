"""What each `bunny` subcommand does once its arguments are parsed and the config loaded.

One function a subcommand, `(args, config) -> exit status`; each imports what it needs when
it runs, so `bunny --help` and `bunny status` do not load PyTorch or the stages.
"""

from __future__ import annotations

import argparse
import sys

from daemon.commands.exit_codes import EXIT_ALREADY_RUNNING, EXIT_CONFIG, EXIT_CRASHED
from daemon.config import Config, ConfigError
from daemon.display_text import REASON_LIMIT, shown, shown_lines


def run_command(args: argparse.Namespace, config: Config) -> int:
    import structlog

    from daemon.intake.inbox import UnsafeFolderError
    from daemon.log import configure_daemon_logging
    from daemon.service.daemon import Daemon
    from daemon.service.instance_lock import AlreadyRunningError
    from daemon.web.companion import PageCompanion
    from daemon.web_access import web_access

    configure_daemon_logging(config)
    log = structlog.get_logger("daemon")
    try:
        access = web_access(config) if config.web.enabled else None
    except ConfigError as exc:
        log.error("refusing to start", reason=str(exc))
        raise  # printed as a config error, exit status 2
    # `run --once` ends when the inbox is done: no page to serve meanwhile.
    companions = [] if args.once else [PageCompanion(config, access)]
    try:
        return Daemon(config, companions).run(once=args.once)
    except AlreadyRunningError as exc:
        print(f"bunny: {shown(str(exc), REASON_LIMIT)}", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    except ConfigError as exc:  # found at start: the stages' order, a detector not installed
        log.error("refusing to start", reason=str(exc))
        raise  # printed as a config error, exit status 2
    except UnsafeFolderError as exc:
        log.error("refusing to start", reason=str(exc))
        print(f"bunny: refusing to start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except Exception:
        # The log is what a person reads of a service: the end and its traceback go there
        # (stderr too, when the console is on), and systemd sees a failure.
        log.exception("daemon stopped by an unexpected error")
        return EXIT_CRASHED


def web_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.commands.web import serve_page

    return serve_page(config, args.host, args.port, args.read_only)


def status_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.reports.status_text import print_status

    return print_status(config, as_json=args.json)


def characters_command(_args: argparse.Namespace, config: Config) -> int:
    from daemon.commands.characters import print_characters

    return print_characters(config)


def lineage_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.commands.lineage import print_lineage

    return print_lineage(config, args.file, as_json=args.json)


def name_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.commands.characters import name_cluster

    return name_cluster(config, args.cluster, args.name)


def corrections_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.commands.characters import print_corrections

    return print_corrections(config, args.triplets)


def recaption_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.commands.recaption import recaption

    return recaption(config, args.character, args.provider)


def train_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.reports.status import EXIT_NO_DATABASE, daemon_running, has_database
    from daemon.repository import Repository
    from daemon.store import utcnow
    from daemon.training.training_requests import request_training

    if not has_database(config):
        return EXIT_NO_DATABASE
    repo = Repository(config.database_path, read_only=True)
    try:
        running = daemon_running(repo, utcnow())
    finally:
        repo.close()
    code, message = request_training(config, args.name, running)
    message = shown(message, REASON_LIMIT)  # it names the character as typed
    print(
        message if code == 0 else f"bunny: {message}", file=sys.stdout if code == 0 else sys.stderr
    )
    return code


def retry_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.commands.retry import retry_movies

    return retry_movies(config, args.movie)


def logs_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.reports.logview import LogFilter, show_log

    wanted = LogFilter(movie=args.movie, stage=args.stage, level=args.level)
    return show_log(config.log_path, wanted, follow=args.follow, lines=args.lines)


def generate_command(args: argparse.Namespace, config: Config) -> int:
    from dataclasses import replace

    from daemon.log import configure_daemon_logging
    from daemon.training.base_model import BaseModelError
    from daemon.training.generation import GenerateRequest, GenerationError, generate

    if config.library.is_dir():  # a mistyped --library is not created by the log file
        # One line per image into the library's log; the console shows the progress instead.
        configure_daemon_logging(replace(config, log=replace(config.log, console="off")))
    request = GenerateRequest(
        character=args.name,
        prompt=args.prompt,
        count=args.count,
        seed=args.seed,
        steps=args.steps,
        size=args.size,
        guidance=args.guidance,
        negative_prompt=args.negative,
        version=args.version,
        lora_weight=args.lora_weight,
        sampler=args.sampler,
    )
    try:
        paths = generate(config, request)
    except (GenerationError, BaseModelError, ValueError) as exc:
        print(f"bunny: {shown_lines(str(exc))}", file=sys.stderr)
        return 1
    for path in paths:
        print(shown(str(path), REASON_LIMIT))
    return 0


def service_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.commands.service import run_service_command

    # The file the config was read from: the one the installed service runs with.
    return run_service_command(args, config.source)


def doctor_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.reports.doctor import run_doctor

    return run_doctor(config)


def export_command(args: argparse.Namespace, config: Config) -> int:
    from daemon.exports.export_command import run_export
    from daemon.exports.formats import ExportFormat, ExportRequest

    request = ExportRequest(args.to, ExportFormat(args.format), args.name, args.all)
    return run_export(config, request)
