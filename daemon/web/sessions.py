"""What the signed session cookie holds: whether this browser logged in, and its CSRF token."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

SESSION_COOKIE = "bunny_session"
SESSION_SECONDS = 7 * 24 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_TOKEN_KEY = "csrf"
_LOGGED_IN_KEY = "logged_in"


def csrf_token(session: dict[str, Any]) -> str:
    """The token every change from this session must carry (made on first use)."""
    token = session.get(_TOKEN_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_TOKEN_KEY] = token
    return token


def csrf_matches(session: dict[str, Any], sent: str | None) -> bool:
    token = session.get(_TOKEN_KEY)
    if not isinstance(token, str) or not sent:
        return False
    return hmac.compare_digest(token.encode(), sent.encode())


def password_matches(expected: str, sent: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), sent.encode("utf-8"))


def logged_in(session: dict[str, Any]) -> bool:
    return session.get(_LOGGED_IN_KEY) is True


def log_in(session: dict[str, Any]) -> None:
    """A fresh token at login: one seen before it (on the login form) is worth nothing after."""
    session.clear()
    session[_LOGGED_IN_KEY] = True
    csrf_token(session)


def log_out(session: dict[str, Any]) -> None:
    session.clear()
