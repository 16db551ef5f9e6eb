"""OCR seconds per page (not a timed test): scanned pages read by `ingest.loaders.load`.

The "scan" is pages of the sample corpus's Umeå plan rasterised at 200 dpi and put into an image-only
PDF, so every page goes through Tesseract (Swedish). Prints the seconds per page for the README.

    .venv/bin/python benchmarks/ocr.py [--pages 3]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.loaders import load  # noqa: E402
from ingest.loaders.pdf_ocr import OCR_MARK, OCR_PACKAGES, ocr_available  # noqa: E402

SOURCE = REPO / "corpus" / "handlingsplaner" / "handlingsplan-kompetensforsorjning-umea-2025.pdf"


def scanned_pdf(path: Path, pages: int) -> Path:
    """The first `pages` pages of SOURCE as 200-dpi greyscale images in an image-only A4 PDF."""
    import pypdfium2 as pdfium
    from fpdf import FPDF

    source = pdfium.PdfDocument(str(SOURCE))
    pdf = FPDF(format="A4")
    for index in range(pages):
        png = io.BytesIO()
        source[index].render(scale=200 / 72, grayscale=True).to_pil().save(png, format="PNG")
        pdf.add_page()
        pdf.image(png, x=0, y=0, w=pdf.w, h=pdf.h)
    source.close()
    pdf.output(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()
    if not ocr_available():
        sys.exit(f"Tesseract med svenska saknas: installera {OCR_PACKAGES}.")
    with tempfile.TemporaryDirectory() as tmp:
        path = scanned_pdf(Path(tmp) / "skannad.pdf", args.pages)
        start = time.perf_counter()
        doc = load(path)
        seconds = time.perf_counter() - start
    words = sum(len(s.text.split()) for s in doc.segments)
    assert all(OCR_MARK in (s.section or "") for s in doc.segments)
    print(f"{args.pages} sidor, {words} ord: {seconds:.1f} s, {seconds / args.pages:.1f} s/sida")


if __name__ == "__main__":
    main()
