"""Screenshots of the demo's home, article and live pages for docs/screenshots/.

Usage, with `make demo` (or `newsdesk serve`) running on the demo content, after
`newsdesk narrate --slug central-library-reopens --wait` so the article has its player:

    .venv/bin/python scripts/docs_screenshots.py http://127.0.0.1:8000 docs/screenshots

Debian's Chromium at 390 and 1366 px; tall pages are cut after their first screens, and the
PNGs are reduced to 128 colours so the repository stays small.
"""

import io
import sys

from PIL import Image
from playwright.sync_api import sync_playwright

# As tests/conftest.py launches it: nothing reaches Google's servers.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = {
    "home": "/",
    "article": "/news/central-library-reopens/",
    "live": "/live/zelenobrid-storm/",
}
MAX_HEIGHT = {390: 3200, 1366: 2400}
"""Tall pages are cut: their first screens say what the page is."""


def shoot(page, url, path, width):
    page.goto(url, wait_until="load")
    # Walk down the page so lazy pictures load, then back to the top.
    height = page.evaluate("document.body.scrollHeight")
    for y in range(0, height, 600):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(60)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(500)
    image = Image.open(io.BytesIO(page.screenshot(full_page=True, animations="disabled")))
    image = image.convert("RGB").crop((0, 0, width, min(image.height, MAX_HEIGHT[width])))
    image = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(path, optimize=True)


def main(base, out):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for width in MAX_HEIGHT:
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                extra_http_headers={"X-Forwarded-Proto": "https"},  # as the TLS proxy adds
            )
            page = context.new_page()
            for name, path in PAGES.items():
                shoot(page, base + path, f"{out}/{name}-{width}.png", width)
                print(f"{out}/{name}-{width}.png")
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
