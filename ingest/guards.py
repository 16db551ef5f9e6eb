"""What keeps an ingest run safe: one writer per index (a lock file) and no links out of the folder.

Two `kompetens ingest` processes on one index would embed everything twice and race on the
catalogue; the second one is refused with a Swedish message. A symbolic link inside an ingested
folder that points outside it (say, to /etc/passwd) is not followed, and a link loop is reported
instead of raising a traceback.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import IngestBusy

LOCK_NAME = "ingest.lock"


@contextmanager
def ingest_lock(folder: Path) -> Iterator[None]:
    """Hold the index folder's ingest lock for the block; IngestBusy when another run holds it.

    `flock` locks belong to the open file, so a second run in the same process (a background
    ingest in the server) is refused too; the lock is released when the process dies.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_NAME).open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "okänd"
            raise IngestBusy(
                f"En annan indexering pågår redan i {folder} (process {holder}). Vänta tills den är klar "
                "och kör sedan kommandot igen."
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def link_problem(path: Path, root: Path | None) -> str | None:
    """Why a symbolic link `path` is not followed (Swedish), or None when it may be read.

    A link loop is never readable; with `root` (the folder being ingested) a link whose target
    lies outside it is not followed either.
    """
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop as RuntimeError, later versions as OSError
        return loop_message(path)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return loop_message(path)
        return (f"Länken '{path.name}' pekar på något som inte finns ({os.readlink(path)}). "
                "Ta bort länken eller rätta målet.")
    if root is not None and not target.is_relative_to(root.resolve()):
        return (f"Länken '{path.name}' pekar utanför mappen som indexeras ({target}) och följs inte. "
                "Kopiera in filen i mappen om den ska indexeras.")
    return None


def loop_message(path: Path) -> str:
    """Swedish message for a symbolic link that leads back to itself."""
    return (f"'{path.name}' är en symbolisk länk i en slinga (den leder tillbaka till sig själv) och kan inte "
            "läsas. Ta bort länken eller låt den peka på en riktig fil.")
