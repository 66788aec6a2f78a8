"""The app's shell and assets: a strict CSP, no inline script, an installable manifest, a
service worker named after the release, and a first screen within its size budget."""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser

from flask.testing import FlaskClient

from catalog.web.views import STATIC
from tests.support.apps import AppFactory

FIRST_SCREEN_BUDGET = 150 * 1024  # compressed JavaScript and CSS of the first screen


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if any(name.startswith("on") for name, _ in attrs) or any(n == "style" for n, _ in attrs):
            self.inline.append(f"<{tag}> with an inline handler or style")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data.strip()[:40])

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_the_shell_is_served_with_a_strict_policy_and_no_inline_script(
    client: FlaskClient,
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    parsed = Tags()
    parsed.feed(response.get_data(as_text=True))
    assert not parsed.inline, parsed.inline
    scripts = [a for tag, a in parsed.tags if tag == "script"]
    assert scripts == [{"type": "module", "src": "/app/js/app.js"}]
    # every asset revalidates (a new release shows at once) and a second look costs a 304
    again = client.get("/", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_assets_cannot_reach_outside_their_folder(client: FlaskClient) -> None:
    for path in (
        "/app/../views.py",
        "/app/%2e%2e/views.py",
        "/app/js/../../views.py",
        "/app/nope.js",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/app/js/app.js").mimetype == "text/javascript"


def test_the_manifest_installs_and_the_worker_is_named_after_the_release(
    client: FlaskClient,
) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.data)
    assert body["display"] == "standalone" and body["start_url"].startswith("/")
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200
    worker = client.get("/sw.js")
    assert worker.headers["Service-Worker-Allowed"] == "/"
    text = worker.get_data(as_text=True)
    assert "__RELEASE__" not in text and re.search(r'RELEASE = "[0-9a-f]{16}"', text)
    # the worker caches every module the app can load, so it opens with no network
    cached = set(re.findall(r'"(/app/[^"]+\.js)"', text))
    modules = {f"/app/{p.relative_to(STATIC).as_posix()}" for p in (STATIC / "js").rglob("*.js")}
    assert cached == modules
    # API calls and signed storage URLs never come from its cache
    assert 'startsWith("/api/")' in text and 'startsWith("/storage/")' in text


def test_the_first_screen_fits_its_budget(client: FlaskClient) -> None:
    shell = client.get("/").get_data(as_text=True)
    first = re.findall(r'(?:href|src)="(/app/[^"]+\.(?:js|css))"', shell)
    first += ["/app/js/pages/account.js", "/app/js/pages/home.js"]  # sign-in and home
    total = sum(len(gzip.compress(client.get(path).data)) for path in set(first))
    assert total < FIRST_SCREEN_BUDGET, total


def test_storage_urls_elsewhere_are_allowed_for_media_only(make_app: AppFactory) -> None:
    app = make_app(public_base_url="https://cdn.example.cn")
    policy = app.test_client().get("/").headers["Content-Security-Policy"]
    assert "media-src 'self' https://cdn.example.cn blob:" in policy
    assert "script-src 'self';" in policy
