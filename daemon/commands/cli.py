"""`bunny`: the command line. Parses arguments, loads the config once, calls one command."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from daemon.commands import actions
from daemon.commands.exit_codes import (
    EXIT_ALREADY_RUNNING as EXIT_ALREADY_RUNNING,
)
from daemon.commands.exit_codes import (
    EXIT_CONFIG as EXIT_CONFIG,
)
from daemon.commands.exit_codes import (
    EXIT_CRASHED as EXIT_CRASHED,
)
from daemon.commands.exit_codes import (
    EXIT_SCHEMA as EXIT_SCHEMA,
)
from daemon.commands.service import add_service_arguments
from daemon.config import Config, ConfigError, load_config
from daemon.display_text import shown_lines
from daemon.store import SchemaMismatchError

DISTRIBUTION = "diffusion-bunny"


def _config_path(arg: str | None) -> Path | None:
    """--config, else $BUNNY_CONFIG, else ./config.yaml when present, else built-in defaults."""
    if arg:
        return Path(arg)
    if os.environ.get("BUNNY_CONFIG"):
        return Path(os.environ["BUNNY_CONFIG"])
    local = Path("config.yaml")
    return local if local.is_file() else None


def load(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {}
    if getattr(args, "inbox", None):
        overrides["inbox"] = args.inbox
    if getattr(args, "library", None):
        overrides["library"] = args.library
    return load_config(_config_path(args.config), overrides)


def _image_size(text: str) -> tuple[int, int]:
    """`512` or `512x768` (width x height), each a multiple of 8."""
    try:
        width, _, height = text.lower().partition("x")
        size = (int(width), int(height or width))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not SIZE or WIDTHxHEIGHT") from None
    if any(side < 8 or side % 8 for side in size):
        raise argparse.ArgumentTypeError(f"{text!r}: sides must be multiples of 8")
    return size


def _sampler(text: str) -> Any:
    from daemon.training.samplers import Sampler

    try:
        return Sampler.parse(text)
    except ValueError:
        names = ", ".join(sampler.value for sampler in Sampler)
        raise argparse.ArgumentTypeError(f"{text!r}: choose one of {names}") from None


def installed_version(distribution: str = DISTRIBUTION) -> str:
    """The installed distribution's version; run from a source tree, it says so."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed: run from a source tree)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bunny", description="Turn movies into character datasets and LoRA models."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="config file (default: ./config.yaml)")
    common.add_argument("--library", metavar="DIR", help="library folder (overrides the config)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="run the daemon in the foreground")
    run.add_argument("--inbox", metavar="DIR", help="inbox folder (overrides the config)")
    run.add_argument(
        "--once", action="store_true", help="process what is in the inbox now, then exit"
    )
    run.set_defaults(func=actions.run_command)

    web = sub.add_parser("web", parents=[common], help="serve the review page without the daemon")
    web.add_argument("--host", help="address to listen on (default: web.host)")
    web.add_argument("--port", type=int, help="port to listen on (default: web.port; 0: any)")
    web.add_argument(
        "--read-only", action="store_true", help="refuse every change made on the page"
    )
    web.set_defaults(func=actions.web_command)

    status = sub.add_parser("status", parents=[common], help="movies, stages and errors")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=actions.status_command)

    retry = sub.add_parser("retry", parents=[common], help="requeue failed movies")
    retry.add_argument("movie", nargs="?", help="movie id (or its start); default: all failed")
    retry.set_defaults(func=actions.retry_command)

    characters = sub.add_parser(
        "characters", parents=[common], help="characters, their references and frames"
    )
    characters.set_defaults(func=actions.characters_command)

    lineage = sub.add_parser(
        "lineage",
        parents=[common],
        help="where a dataset image came from and what happened to it (or a run's images)",
    )
    lineage.add_argument(
        "file",
        help="a file in <library>/characters/NAME/dataset/ (absolute, or relative to here or "
        "to the library), or a run folder under characters/NAME/models/ or its training.json",
    )
    lineage.add_argument("--json", action="store_true", help="machine-readable output")
    lineage.set_defaults(func=actions.lineage_command)

    name = sub.add_parser(
        "name", parents=[common], help="adopt a cluster of unknown faces as a character"
    )
    name.add_argument("cluster", help="the cluster id: a folder name under <library>/unknown/")
    name.add_argument("name", help="the character's name")
    name.set_defaults(func=actions.name_command)

    corrections = sub.add_parser(
        "corrections", parents=[common], help="dataset images moved or deleted, as corrections"
    )
    corrections.add_argument(
        "--triplets", type=Path, help="also write (anchor, positive, negative) JSON lines here"
    )
    corrections.set_defaults(func=actions.corrections_command)

    again = sub.add_parser(
        "recaption", parents=[common], help="ask for captions again (after a prompt change)"
    )
    again.add_argument("character", nargs="?", help="only this character's images")
    again.add_argument("--provider", help="only captions made by this provider")
    again.set_defaults(func=actions.recaption_command)

    logs = sub.add_parser("logs", parents=[common], help="show the log, pretty-printed")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("-n", "--lines", type=int, default=20, help="lines of history to show")
    logs.add_argument("--movie", help="only lines about this movie id (or its start)")
    logs.add_argument("--stage", help="only lines of this stage")
    logs.add_argument("--level", choices=["debug", "info", "warning", "error"], default="debug")
    logs.set_defaults(func=actions.logs_command)

    gen = sub.add_parser(
        "generate", parents=[common], help="images from a character's newest model (or -v N)"
    )
    gen.add_argument("name", help="the character's name")
    gen.add_argument("prompt", help="the prompt; {trigger} is replaced by the trigger word")
    gen.add_argument("-n", "--count", type=int, default=4, help="images to make (default 4)")
    gen.add_argument("--seed", type=int, help="the first image's seed (default: random)")
    gen.add_argument("--steps", type=int, help="denoising steps (default: training's samples)")
    gen.add_argument("--size", type=_image_size, help="SIZE or WIDTHxHEIGHT (default: training's)")
    gen.add_argument("--guidance", type=float, help="classifier-free guidance scale")
    gen.add_argument("--negative", help="negative prompt")
    gen.add_argument("-v", "--version", type=int, help="model version (default: the newest)")
    gen.add_argument(
        "--lora-weight",
        type=float,
        default=1.0,
        help="the LoRA's strength, as in <lora:NAME:WEIGHT> (default 1; 0: the base model alone)",
    )
    gen.add_argument(
        "--sampler",
        type=_sampler,
        help="euler-a, euler, dpmpp-2m, dpmpp-2m-karras, dpmpp-2m-sde-karras, ddim, plms, "
        "unipc, lms, heun, dpm2, dpm2-a, or A1111's name (default: the base model's scheduler)",
    )
    gen.set_defaults(func=actions.generate_command)

    train = sub.add_parser(
        "train", parents=[common], help="ask the daemon to train a character's LoRA now"
    )
    train.add_argument("name", help="the character's name")
    train.set_defaults(func=actions.train_command)

    export = sub.add_parser(
        "export", parents=[common], help="copy datasets in a LoRA trainer's layout"
    )
    export.add_argument("name", nargs="?", help="the character's name (or --all)")
    export.add_argument("--all", action="store_true", help="every character, one folder each")
    export.add_argument("--to", type=Path, required=True, metavar="DIR", help="where to write")
    export.add_argument(
        "--format",
        choices=("kohya", "onetrainer", "ai-toolkit", "imagefolder"),  # ExportFormat's values
        default="kohya",
        help="the trainer's layout (default: kohya)",
    )
    export.set_defaults(func=actions.export_command)

    doctor = sub.add_parser("doctor", parents=[common], help="check the installation")
    doctor.set_defaults(func=actions.doctor_command)

    service = sub.add_parser(
        "service", help="install, remove, start or stop the Windows service (Windows only)"
    )
    add_service_arguments(service)
    service.set_defaults(func=actions.service_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = sys.argv[1:] if argv is None else list(argv)
    if not arguments:  # a bare `bunny`: what it can do, not a usage error
        parser.print_help()
        return 0
    args = parser.parse_args(arguments)
    try:
        config = load(args)
    except ConfigError as exc:
        print(f"bunny: config error: {shown_lines(str(exc))}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        return int(args.func(args, config))
    except ConfigError as exc:
        print(f"bunny: config error: {shown_lines(str(exc))}", file=sys.stderr)
        return EXIT_CONFIG
    except SchemaMismatchError as exc:
        print(f"bunny: {exc}", file=sys.stderr)
        return EXIT_SCHEMA
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
