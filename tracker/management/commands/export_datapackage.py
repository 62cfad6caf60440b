"""python manage.py export_datapackage OUT_DIR [--force]   (or OUT.zip)"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker import datapackage


class Command(BaseCommand):
    help = (
        "Write what the reports' readers may see (no drafts, no users) as a Frictionless "
        "Data Package: a CSV file per table and datapackage.json describing every column, "
        "key and foreign key, with the methodology version. OUT_DIR is made if missing and "
        "must be empty unless --force; a path ending in .zip writes the package as one zip. "
        "`frictionless validate OUT_DIR/datapackage.json` checks it; import_datapackage "
        "reads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", metavar="OUT_DIR", help="folder to write into, or a .zip file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="write into a folder that holds files (the package's own are replaced), "
            "or replace the zip",
        )

    def handle(self, *args, out, force, verbosity, **options):
        target = Path(out)
        try:
            if target.suffix.lower() == ".zip":
                counts = self._zip(target, force)
            else:
                counts = self._folder(target, force)
        except OSError as error:
            raise CommandError(f"Cannot write '{out}': {error.strerror or error}.") from None
        if verbosity > 0:
            tables = ", ".join(f"{count:,} {name}" for name, count in counts.items())
            self.stdout.write(f"Wrote {target}: {tables}.")

    def _folder(self, target: Path, force: bool) -> dict[str, int]:
        if target.exists() and not target.is_dir():
            raise CommandError(f"'{target}' is a file, not a folder.")
        target.mkdir(parents=True, exist_ok=True)
        if any(target.iterdir()) and not force:
            raise CommandError(
                f"'{target}' is not empty; choose an empty folder, or give --force to "
                "replace the package's files in it."
            )
        # Written beside, then moved in: a failure leaves no half-written package.
        staging = Path(tempfile.mkdtemp(prefix=".datapackage-", dir=target))
        try:
            counts = datapackage.write_package(staging)
            for written in staging.iterdir():
                os.replace(written, target / written.name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return counts

    def _zip(self, target: Path, force: bool) -> dict[str, int]:
        if target.exists() and not force:
            raise CommandError(f"'{target}' exists; give --force to replace it.")
        files: dict[str, datapackage.FileStats] = {}
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in datapackage.zip_chunks(files):
                    out.write(chunk)
            # mkstemp makes the file readable by its owner alone; a package is for
            # sharing: the permissions any new file gets (the umask's).
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return {name: stats.rows for name, stats in files.items()}
