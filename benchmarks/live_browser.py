"""Publish-to-screen latency in a real browser: an update committed by an editor's process
until it is in the page a reader has open in Chromium.

One `newsdesk serve --no-worker` on 127.0.0.1 (fresh SQLite database in a temp dir); Debian's
Chromium (headless, through Playwright) opens the live page; benchmarks.live_poster commits
UPDATES updates from its own process, one every INTERVAL seconds. In the page, a
MutationObserver notes the wall-clock time at which each `#update-<id>` element appears; the
latency is that time minus the commit time (same machine, same clock). Run for both wake-up
paths: polling (the single-machine default) and Redis.

`python -m benchmarks.live_browser` prints the figures; benchmarks.run puts them in
BENCHMARKS.md.
"""

import json
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.live import (
    CREATE_FEED,
    REDIS_URL,
    ROOT,
    SLUG,
    environment,
    free_port,
    newsdesk,
    python,
    redis_answers,
    stop,
    wait_for_http,
)

UPDATES = 20
INTERVAL = 0.5
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

WATCH = """() => {
    window.__seen = {};
    new MutationObserver((mutations) => {
        for (const mutation of mutations) {
            for (const node of mutation.addedNodes) {
                if (node.id && node.id.startsWith("update-") && !(node.id in window.__seen)) {
                    window.__seen[node.id] = Date.now();
                }
            }
        }
    }).observe(document.body, {childList: true, subtree: true});
}"""


def measure_variant(playwright, data_dir, variant):
    env = environment(data_dir, REDIS_URL if variant == "redis" else "")
    port = free_port()
    log_path = data_dir / f"serve-browser-{variant}.log"
    server = browser = poster = None
    with open(log_path, "w") as log:
        try:
            server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                python("-m", "newsdesk.cli", "serve", "--no-worker", "--port", str(port)),
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
            url = f"http://127.0.0.1:{port}/live/{SLUG}/"
            wait_for_http(url, server, log_path)
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS
            )
            page = browser.new_page(extra_http_headers={"X-Forwarded-Proto": "https"})
            with page.expect_response(lambda response: "/events" in response.url):
                page.goto(url)
            page.evaluate(WATCH)
            poster = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                python("-m", "benchmarks.live_poster", SLUG, str(UPDATES), str(INTERVAL)),
                env=env,
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            json.loads(poster.stdout.readline())  # {"ready": true}
            poster.stdin.write("go\n")
            poster.stdin.flush()
            commits = {}
            for _ in range(UPDATES):
                line = json.loads(poster.stdout.readline())
                commits[f"update-{line['id']}"] = line["committed"] * 1000
            time.sleep(3)
            seen = page.evaluate("() => window.__seen")
        finally:
            if poster is not None:
                poster.kill()
                poster.wait()
            if browser is not None:
                browser.close()
            stop(server)
    latencies = sorted(seen[key] - at for key, at in commits.items() if key in seen)
    return {
        "variant": variant,
        "latencies": latencies,
        "lost": len(commits) - len(latencies),
    }


def percentile(values, share):
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def measure(variants=("polling", "redis")):
    from playwright.sync_api import sync_playwright

    results = []
    with tempfile.TemporaryDirectory(prefix="newsdesk-browser-bench-") as temp:
        data_dir = Path(temp)
        env = environment(data_dir)
        newsdesk("migrate", "--no-input", "--verbosity", "0", env=env)
        newsdesk("shell", "-c", CREATE_FEED, env=env)
        with sync_playwright() as playwright:
            for variant in variants:
                if variant == "redis" and redis_answers():
                    continue
                results.append(measure_variant(playwright, data_dir, variant))
    return results


def lines(results):
    names = {"polling": "SQLite, polling", "redis": "SQLite + Redis wake-ups"}
    out = []
    for result in results:
        values = result["latencies"]
        if not values:
            out.append(f"- Chromium, {names[result['variant']]}: no update reached the page")
            continue
        out.append(
            f"- Chromium, {names[result['variant']]}: commit to on screen p50 "
            f"{percentile(values, 0.5):.0f} ms, p99 {percentile(values, 0.99):.0f} ms, max "
            f"{values[-1]:.0f} ms over {len(values)} updates; lost {result['lost']}"
        )
    return out


def main():
    print("\n".join(lines(measure())))


if __name__ == "__main__":
    main()
