"""Screenshots of the web interface for the README: search and transcript pages at
desktop and phone widths, in headless chromium (as the browser tests drive it).

    PYTHONPATH=src .venv/bin/python tools/screenshots.py     # writes docs/*.png

The archive is the default corpus, ingested into a temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from briefings import web

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = {
    "search": "/search?q=%22national+security%22+Hong+Kong",
    "briefing": "/briefing/mfa-1793427",
}
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def browser(width: int, height: int):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={max(width, 500)},{height}",
    ):
        options.add_argument(arg)
    d = webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )
    mobile = width < 500
    d.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 2 if mobile else 1, "mobile": mobile},
    )
    return d


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "archive.db"
        briefings = Path(sys.executable).parent / "briefings"
        subprocess.run(
            [str(briefings), "ingest", str(ROOT / "data" / "raw"), "--db", str(db)],
            check=True,
            capture_output=True,
        )
        running = web.start(db)
        try:
            DOCS.mkdir(exist_ok=True)
            for size, (w, h) in SIZES.items():
                d = browser(w, h)
                try:
                    for name, path in PAGES.items():
                        if size == "phone" and name == "briefing":
                            path += "#t2"  # at phone width the title fills the screen: show the turns stacked
                        d.get(running.url + path)
                        time.sleep(0.3)
                        out = DOCS / f"{name}-{size}.png"
                        d.save_screenshot(str(out))
                        print(f"wrote {out.relative_to(ROOT)}")
                finally:
                    d.quit()
        finally:
            running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
