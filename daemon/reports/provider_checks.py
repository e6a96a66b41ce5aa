"""`bunny doctor`'s look at the caption providers: credentials and reachability.

It never sends a caption request: it finds the credentials the clients would use (the AWS
chain for Bedrock, the configured variable for an OpenAI-compatible server) and opens one
TCP connection to a configured server, so a typo in `base_url` shows before the first movie.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from daemon.config import BedrockConfig, CaptionsConfig, OpenAIConfig
from daemon.reports.checks import Check, Level

CONNECT_SECONDS = 3.0


def caption_provider_checks(config: CaptionsConfig, in_pipeline: bool) -> Iterator[Check]:
    if not in_pipeline:
        yield Check(Level.OK, "captions", "the captions stage is not in pipeline.stages")
        return
    chain = ", ".join(config.providers)
    fallback = "template" in config.providers
    yield Check(Level.OK, "captions", f"providers in order: {chain}")
    for name in config.providers:
        if name == "bedrock":
            yield _bedrock_check(config.bedrock, fallback)
        elif name == "openai":
            yield _openai_check(config.openai, fallback)


def _problem(name: str, detail: str, fix: str, fallback: bool) -> Check:
    # With the template later in the chain, images still get captions: a warning.
    return Check(Level.WARN if fallback else Level.FAIL, name, detail, fix)


def _bedrock_check(config: BedrockConfig, fallback: bool) -> Check:
    import boto3

    credentials = boto3.Session(region_name=config.region).get_credentials()
    if credentials is None:
        return _problem(
            "captions bedrock",
            "no AWS credentials found (environment, ~/.aws, instance role)",
            "configure AWS credentials for the daemon's user, e.g. `aws configure`",
            fallback,
        )
    where = config.endpoint_url or f"bedrock-runtime.{config.region}.amazonaws.com"
    return Check(
        Level.OK,
        "captions bedrock",
        f"{config.model_id} at {where}, credentials from {credentials.method}",
    )


def _openai_check(config: OpenAIConfig, fallback: bool) -> Check:
    key = "set" if os.environ.get(config.api_key_env) else "not set (a local server may need none)"
    address = urlsplit(config.base_url)
    port = address.port or (443 if address.scheme == "https" else 80)
    try:
        with socket.create_connection((address.hostname or "", port), CONNECT_SECONDS):
            pass
    except OSError as exc:
        return _problem(
            "captions openai",
            f"cannot connect to {config.base_url}: {exc}; key variable {config.api_key_env} {key}",
            "start the server (e.g. `ollama serve`) or fix captions.openai.base_url",
            fallback,
        )
    return Check(
        Level.OK,
        "captions openai",
        f"{config.model} at {config.base_url}; key variable {config.api_key_env} {key}",
    )
