"""With a password: the login form, the session cookie, and nothing before logging in."""

from __future__ import annotations

import re
from pathlib import Path

from tests.daemon.web.page_server import csrf_token, library_config, served

PASSWORD = "correct horse battery staple"
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def login_token(client: object) -> str:
    import httpx

    assert isinstance(client, httpx.Client)
    form = client.get("/login")
    assert form.status_code == 200
    found = FORM_TOKEN.search(form.text)
    assert found is not None
    return found.group(1)


def test_nothing_is_shown_before_logging_in(tmp_path: Path) -> None:
    with served(library_config(tmp_path), password=PASSWORD) as page, page.client() as client:
        for path in ("/", "/overview/body", "/movies", "/files/x.jpg"):
            response = client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/login"
        fragment = client.get("/overview/body", headers={"HX-Request": "true"})
        assert fragment.status_code == 401
        assert fragment.headers["hx-redirect"] == "/login"
        assert client.post("/movies/retry-failed").status_code == 403
        assert client.get("/static/page.css").status_code == 200


def test_a_wrong_password_is_refused(tmp_path: Path) -> None:
    with served(library_config(tmp_path), password=PASSWORD) as page, page.client() as client:
        token = login_token(client)
        response = client.post("/login", data={"password": "wrong", "csrf_token": token})
        assert response.status_code == 403
        assert "wrong password" in response.text
        assert client.get("/").status_code == 303


def test_the_login_form_needs_its_token(tmp_path: Path) -> None:
    with served(library_config(tmp_path), password=PASSWORD) as page, page.client() as client:
        login_token(client)
        assert client.post("/login", data={"password": PASSWORD}).status_code == 403
        assert client.get("/").status_code == 303


def test_logging_in_and_out(tmp_path: Path) -> None:
    with served(library_config(tmp_path), password=PASSWORD) as page, page.client() as client:
        token = login_token(client)
        response = client.post("/login", data={"password": PASSWORD, "csrf_token": token})
        assert response.status_code == 303
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert PASSWORD.lower() not in cookie
        new_token = csrf_token(client)
        assert new_token != token  # a token seen before logging in is worth nothing after
        assert client.get("/").status_code == 200
        assert client.post("/logout", data={"csrf_token": new_token}).status_code == 303
        assert client.get("/").status_code == 303


def test_a_forged_cookie_is_not_a_session(tmp_path: Path) -> None:
    with served(library_config(tmp_path), password=PASSWORD) as page, page.client() as client:
        import base64

        forged = base64.b64encode(b'{"logged_in": true}').decode() + ".AAAAAA.forged"
        client.cookies.set("bunny_session", forged)
        assert client.get("/").status_code == 303
