"""Steps shared by the browser journeys."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import pyotp
from playwright.sync_api import Page, expect

from selfservice.demo import DEMO_PASSWORD, DEMO_TOTP


def sign_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#signin-submit").click()


_last_step: dict[str, int] = {}


def fresh_totp(username: str) -> str:
    """A code from a time step this run has not used yet (the app refuses reuse)."""
    totp = pyotp.TOTP(DEMO_TOTP[username])
    while True:
        now = datetime.now(UTC)
        step = int(now.timestamp()) // 30
        if step > _last_step.get(username, -1):
            _last_step[username] = step
            return totp.at(now)
        time.sleep(1)


def sign_in_with_totp(page: Page, base: str, username: str) -> None:
    sign_in(page, base, username)
    expect(page.locator("#code")).to_be_visible()
    page.locator("#code").fill(fresh_totp(username))
    page.locator("#code-submit").click()
    expect(page.locator("#nav-menu")).to_be_visible()


def query(app_server, sql: str, *args) -> list[tuple]:
    """Read the served app's SQLite database (what the tests check behind the screen)."""
    connection = sqlite3.connect(app_server.db_url.removeprefix("sqlite:///"))
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def execute(app_server, sql: str) -> None:
    """Change the served app's database as an operator would (e.g. switch a channel on)."""
    connection = sqlite3.connect(app_server.db_url.removeprefix("sqlite:///"))
    try:
        connection.execute(sql)
        connection.commit()
    finally:
        connection.close()


def draw_signature(page: Page) -> None:
    """A zigzag drawn with the pointer on the signature pad, as a finger would."""
    canvas = page.locator("canvas.signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + 20, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 32):
        page.mouse.move(x + i * 9, y + (28 if i % 2 else -28), steps=3)
    page.mouse.up()
