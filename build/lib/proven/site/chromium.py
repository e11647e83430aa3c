"""Which Chromium the browser checks and the site benchmark launch, and with what flags."""

from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
"""Flags for headless use on a machine with no display and no outside network."""

SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

INSTALL_CHROMIUM = (
    "install Chromium (Debian/Ubuntu: `apt-get install chromium`; macOS: "
    "`brew install --cask chromium`), or let Playwright download its own with "
    "`.venv/bin/playwright install chromium` (needs internet access), or set CHROMIUM "
    "to a Chromium binary"
)


def system_chromium() -> str | None:
    """The system's Chromium: `CHROMIUM` if set, else the first of `SYSTEM_CHROMIUMS` on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return next(filter(None, map(shutil.which, SYSTEM_CHROMIUMS)), None)
