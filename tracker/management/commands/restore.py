"""manage.py restore IN: a backup (or dumpdata's JSON) into an empty database."""

import time
import zlib

from django.core.management.base import BaseCommand, CommandError

from tracker.backup import BackupError, open_backup, restore


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` (or JSON written by dumpdata "
        "of the same tables, natural keys or not) into an empty database that "
        "`migrate` has just made: every row with its id, in one transaction. A "
        "database that holds data is refused, and so is a bad file, with the line at "
        "fault; either way nothing is written. '-' reads standard input; a gzip file "
        "is read compressed."
    )

    def add_arguments(self, parser):
        parser.add_argument("input", help="The backup file (.json or .json.gz), or '-'.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the whole file against the database, then write nothing.",
        )

    def handle(self, *args, input, dry_run, verbosity, **options):
        started = time.perf_counter()

        def progress(rows: int) -> None:
            if verbosity > 1:
                self.stderr.write(f"… {rows:,} rows", style_func=None)

        try:
            with open_backup(input) as stream:
                report = restore(stream, dry_run=dry_run, progress=progress)
        except BackupError as error:
            where = f"{input}, line {error.line}: " if error.line else ""
            raise CommandError(f"{where}{error}. Nothing was restored.") from None
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:  # unreadable
            raise CommandError(f"{input}: {error}. Nothing was restored.") from None
        if verbosity > 0:
            self.stdout.write(f"{report.summary()}, in {time.perf_counter() - started:.1f} s.")
            if verbosity > 1:
                for label, count in report.rows.items():
                    self.stdout.write(f"  {label}: {count:,}")
