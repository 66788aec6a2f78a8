"""Tokens in the app as the API intends: the refresh token rotates at each use, two tabs
refreshing at once do not look like a stolen token, and signing out revokes the login."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from flask import Flask

from tests.catalog.web.test_learner_app import sign_in, snap

# The refresh token as the app keeps it, in the user's IndexedDB database (read through
# DevTools, not page script).
READ_REFRESH = """(name) => new Promise((done) => {
  const opened = indexedDB.open(name);
  opened.onsuccess = () => {
    const read = opened.result.transaction("kv").objectStore("kv").get("refresh");
    read.onsuccess = () => done(read.result ? read.result.value : null);
  };
})"""


def refresh_token_of(page: Any) -> str | None:
    user_id = page.evaluate("JSON.parse(localStorage.getItem('jy.user')).id")
    return refresh_token_in(page, user_id)


def refresh_token_in(page: Any, user_id: int) -> str | None:
    return page.evaluate(READ_REFRESH, f"jiangyun-{user_id}")


def refresh_with(base_url: str, token: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/refresh",
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_two_tabs_refresh_together_and_stay_signed_in(
    demo_app: Flask, base_url: str, phone: Any
) -> None:
    first = phone.new_page()
    sign_in(first, base_url)
    first.get_by_role("heading", name="必修课").wait_for()
    issued = refresh_token_of(first)
    # A phone restoring two tabs: neither holds an access token, both refresh at once. Sent
    # twice, the same refresh token would end the login (the API reads it as a stolen copy).
    tabs = [phone.new_page() for _ in range(2)]
    for tab in tabs:
        tab.goto(f"{base_url}/#/credits", wait_until="commit")
    for tab in tabs:
        tab.locator("#balance").wait_for()  # the ledger, read with a fresh access token
    rotated = refresh_token_of(first)
    assert rotated != issued  # it rotated
    # still signed in everywhere: the login was not revoked
    tabs[0].reload()
    tabs[0].locator("#balance").wait_for()
    snap(tabs[0], "11-credits")
    tabs[0].goto(f"{base_url}/#/me")

    # Signing out revokes the login: the refresh token it held is refused from then on.
    user_id = tabs[0].evaluate("JSON.parse(localStorage.getItem('jy.user')).id")
    held = refresh_token_in(tabs[0], user_id)
    tabs[0].get_by_role("button", name="退出登录").click()
    tabs[0].locator("#username").wait_for()
    assert refresh_token_in(tabs[0], user_id) is None
    assert refresh_with(base_url, held) == 401
    assert refresh_with(base_url, issued) == 401  # the first one, used long ago, too


def test_a_refresh_reply_lost_on_a_weak_signal_does_not_end_the_login(
    demo_app: Flask, base_url: str, phone: Any
) -> None:
    """The server rotated the token, the reply never reached the phone, the phone sent the
    old token again and the whole login ended (attack on issue 20)."""
    first = phone.new_page()
    sign_in(first, base_url)
    first.get_by_role("heading", name="必修课").wait_for()
    lost: list[int] = []

    def lose_the_reply(route: Any) -> None:
        answer = route.fetch()  # the server receives it and rotates …
        lost.append(answer.status)
        route.abort("connectionreset")  # … and the phone never hears back

    tab = phone.new_page()  # no access token in its memory: it refreshes first
    tab.route("**/api/v1/auth/refresh", lose_the_reply)
    tab.goto(f"{base_url}/#/credits")
    tab.locator(".error").wait_for()  # "network unavailable", nothing worse
    assert lost == [200]
    tab.unroute("**/api/v1/auth/refresh")
    tab.reload()  # the same token again, with the same Idempotency-Key
    tab.locator("#balance").wait_for()  # still signed in
    first.reload()
    first.get_by_role("heading", name="必修课").wait_for()
