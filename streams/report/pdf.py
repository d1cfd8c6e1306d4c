"""Print the briefing's HTML to PDF with a headless Chromium (Debian's package)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from streams.errors import ConfigError

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ConfigError("output", "a .pdf file", "a .html file, or Chromium installed to print the PDF (apt-get install chromium)")


def print_pdf(html: Path, pdf: Path, timeout_s: float = 120.0) -> None:
    """html (a file) printed to pdf, A4, without the browser's header and footer."""
    args = [
        browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
        f"--print-to-pdf={pdf.resolve()}", html.resolve().as_uri(),
    ]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, check=False)
    if result.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"Chromium could not print {html} (exit {result.returncode}): {result.stderr[-500:]}")
