"""manage.py backup OUT: the whole database as portable JSON (restore reads it back)."""

import time

from django.core.management.base import BaseCommand, CommandError

from tracker.backup import BackupError, backup_to


class Command(BaseCommand):
    help = (
        "Write a portable backup of the whole database to OUT: users (with their "
        "password hashes), groups with their permissions, and every tracker table with "
        "its audit trail, as one consistent state, in JSON (one object a line, each with "
        "its id). 'OUT.gz' is written compressed; '-' writes to standard output. "
        "`manage.py restore OUT` reads it into an empty database, SQLite or PostgreSQL; "
        "Django's loaddata reads it too."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="The file to write (.json or .json.gz), or '-'.")

    def handle(self, *args, output, verbosity, **options):
        started = time.perf_counter()
        try:
            counts = backup_to(output)
        except (BackupError, OSError) as error:
            raise CommandError(f"{output}: {error}") from None
        if verbosity > 0:
            # The file may be standard output: the report goes to standard error.
            self.stderr.write(
                f"Wrote {counts.total():,} rows of {len(counts)} tables to {output} "
                f"in {time.perf_counter() - started:.1f} s "
                f"({counts['tracker.development']:,} developments, "
                f"{counts['auth.user']:,} users).",
                style_func=None,
            )
            if verbosity > 1:
                for label, count in counts.items():
                    self.stderr.write(f"  {label}: {count:,}", style_func=None)
