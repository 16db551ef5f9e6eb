"""Swedish OCR for PDF pages without a text layer: pypdfium2 renders the page, Tesseract reads it.

Tesseract is a system program (Debian: `tesseract-ocr` and the Swedish data `tesseract-ocr-swe`);
`make run` and `.ci/run` install them when they can. Without them scanned pages cannot be read, and
a PDF that is scanned throughout is refused with a message saying what to install. The program is
called directly (what pytesseract would do), so that its thread count can be set per call.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import shutil
import subprocess
from typing import Any

log = logging.getLogger(__name__)

OCR_LANGUAGE = "swe"
OCR_PACKAGES = "tesseract-ocr tesseract-ocr-swe"
OCR_MARK = "(OCR-läst)"
_DPI = 300  # Tesseract reads body text best at about 300 dpi
_MAX_PIXELS = 6000  # the longest side of a rendered page (A4 at 300 dpi is 3508)
_CONFIG = "--psm 3"  # automatic page segmentation: columns, headings and paragraphs
_TIMEOUT = 120  # seconds for one page; a page that takes longer is left unread


@functools.cache
def ocr_available() -> bool:
    """True when the `tesseract` program and its Swedish language data are installed."""
    if shutil.which("tesseract") is None:
        return False
    try:
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30,
                                check=False)
    except (OSError, subprocess.SubprocessError):
        log.warning("Tesseract finns men kunde inte startas; inskannade sidor läses inte.", exc_info=True)
        return False
    return OCR_LANGUAGE in (listed.stdout + listed.stderr).split()


def ocr_page(data: bytes, index: int) -> str:
    """The text of page `index` (0-based) of the PDF in `data`, read by Tesseract in Swedish."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        page = document[index]
        try:
            width, height = page.get_size()  # points; a poster-sized page is rendered smaller
            scale = min(_DPI / 72, _MAX_PIXELS / max(width, height, 1))
            image = page.render(scale=scale, grayscale=True).to_pil()
        finally:
            page.close()
    finally:
        document.close()
    return _tesseract(image)


def _tesseract(image: Any) -> str:
    """Tesseract's text for a PIL image, from the `tesseract` program (PNG in, text out).

    Tesseract runs single-threaded unless OMP_THREAD_LIMIT says otherwise: its OpenMP threads
    make a page about four times slower on a busy two-core machine (measured: 3.3 s against 14 s).
    """
    png = io.BytesIO()
    image.save(png, format="PNG")
    env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}
    done = subprocess.run(["tesseract", "stdin", "stdout", "-l", OCR_LANGUAGE, *_CONFIG.split()],
                          input=png.getvalue(), capture_output=True, timeout=_TIMEOUT, check=True, env=env)
    return done.stdout.decode("utf-8", errors="replace")


def marked(section: str | None, page: int) -> str:
    """The section of an OCR-read passage, marked so a citation shows the text was machine-read."""
    return f"{section} {OCR_MARK}" if section else f"Sida {page} {OCR_MARK}"
