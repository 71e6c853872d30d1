"""Open a dhopt HTML report in headless Chromium: save a screenshot and check every image loaded.

    python scripts/screenshot_report.py REPORT.html OUT.png

Prints one JSON line: {"images": n, "loaded": k, "widths": [...], "text": "..."} where ``loaded``
counts images with a non-zero natural width, as the browser decoded them, and ``text`` is the
page's visible text. Exits 1 if an image did not load, 2 if no Chromium is found.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
CHECK = """<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var result = {images: images.length,
    loaded: images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    widths: images.map(function (i) { return i.naturalWidth; }),
    text: document.body.innerText};
  var out = document.createElement("pre");
  out.id = "report-check";
  out.hidden = true;  // in the DOM for --dump-dom, not on the screenshot
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>"""


def find_chromium() -> str | None:
    """Path of the first Chromium-like browser on PATH, or None."""
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def screenshot(report: Path, png: Path, browser: str, width: int = 1280, height: int = 4000) -> dict:
    """Save a screenshot of ``report`` to ``png`` and return what the page reported about its images."""
    report, png = report.resolve(), png.resolve()
    with tempfile.TemporaryDirectory(prefix="dhopt-chromium-") as scratch:
        checked = Path(scratch) / report.name  # a copy with the (hidden) check appended; the report stays untouched
        checked.write_text(report.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"), encoding="utf-8")
        command = [
            browser,
            *FLAGS,
            f"--user-data-dir={Path(scratch) / 'profile'}",
            "--virtual-time-budget=10000",  # lets the load event fire before the DOM is dumped
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            "--dump-dom",
            checked.as_uri(),
        ]
        dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    found = re.search(r'<pre id="report-check"[^>]*>(.*?)</pre>', dom, re.S)
    if found is None:
        raise RuntimeError(f"{report}: the page did not run its image check (no #report-check in the DOM)")
    return json.loads(html.unescape(found.group(1)))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    browser = find_chromium()
    if browser is None:
        print(f"no Chromium found on PATH (looked for {', '.join(BROWSERS)})", file=sys.stderr)
        return 2
    result = screenshot(Path(argv[0]), Path(argv[1]), browser)
    print(json.dumps(result))
    return 0 if result["images"] == result["loaded"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
