"""DOCX and XLSX are zip archives: refuse one that unpacks to far more than it weighs (a zip bomb).

The check reads only the archive's directory (each member's declared size), before any parser
unpacks anything; Python's zipfile never inflates a member beyond its declared size, so the
declared sizes bound what the parsers can be made to read.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from assistant.errors import UnreadableDocument

MAX_UNPACKED_ENV = "KOMPETENS_INGEST_MAX_UNPACKED_MB"
MAX_RATIO = 200  # Office XML packs about 5–20 times; a bomb packs hundreds to thousands of times
RATIO_FLOOR = 20 * 1024 * 1024  # below this unpacked size the ratio does not matter


def check_unpacked_size(path: Path, data: bytes, max_unpacked: int) -> None:
    """UnreadableDocument (Swedish) when the archive unpacks to more than `max_unpacked` bytes, or
    to more than RATIO_FLOOR at a compression ratio above MAX_RATIO. A damaged archive passes:
    the format's reader reports it as damaged."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    unpacked = sum(max(0, m.file_size) for m in members)
    packed = max(1, sum(max(0, m.compress_size) for m in members))
    ratio = unpacked / packed
    if unpacked > max_unpacked:
        reason = f"gränsen för uppackad storlek är {_mb(max_unpacked)} MB"
    elif unpacked > RATIO_FLOOR and ratio > MAX_RATIO:
        reason = f"den är packad {ratio:.0f} gånger, gränsen är {MAX_RATIO} gånger"
    else:
        return
    raise UnreadableDocument(
        f"Filen '{path.name}' packas upp till {_mb(unpacked)} MB ({reason}) och läses därför inte: den kan vara "
        f"en så kallad zip-bomb. Spara filen på nytt i Office, eller höj gränsen med {MAX_UNPACKED_ENV} om "
        "filen är riktig."
    )


def _mb(size: int) -> str:
    mb = size / (1024 * 1024)
    return (f"{mb:.0f}" if mb >= 10 else f"{mb:.1f}").replace(".", ",")
