"""python manage.py import_developments PATH [--dry-run] [--format csv|json]"""

import shutil
import sys
import tempfile

from django.core.management.base import BaseCommand, CommandError

from tracker.interchange import ImportFileError, detect_format, import_developments


class Command(BaseCommand):
    help = (
        "Import developments from a CSV or JSON file (PATH, or - for standard input). "
        "The whole file is validated first; with any error nothing is written and the "
        "command exits with status 1. See README.md for the format."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to import, or - for standard input")
        parser.add_argument("--format", choices=("csv", "json"), help="default: from PATH")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report; write nothing"
        )

    def handle(self, *args, path, format, dry_run, verbosity, **options):
        try:
            file_format = detect_format(path, format) if path != "-" else format
            if file_format is None:
                raise ImportFileError("Reading standard input needs --format csv or json.")
            with self._open(path) as stream:
                report = import_developments(
                    stream,
                    file_format,
                    dry_run=dry_run,
                    reason=f"Imported from {path if path != '-' else 'standard input'}",
                    progress=self._progress if verbosity > 0 and sys.stderr.isatty() else None,
                )
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        if sys.stderr.isatty() and verbosity > 0:
            sys.stderr.write("\n")
        for problem in report.errors:
            self.stderr.write(str(problem))
        if report.errors:
            count = report.problem_count
            raise CommandError(
                f"{count:,} problem{'s' if count != 1 else ''} found; nothing was written."
            )
        if verbosity > 0 or dry_run:
            prefix = "Dry run, nothing written. " if dry_run else ""
            self.stdout.write(prefix + report.summary())

    def _open(self, path):
        if path != "-":
            try:
                return open(path, "rb")
            except OSError as error:
                raise ImportFileError(f"Cannot open '{path}': {error.strerror}.") from None
        # Standard input can be read only once; the import reads twice.
        spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        shutil.copyfileobj(sys.stdin.buffer, spool)
        return spool

    def _progress(self, stage, count):
        sys.stderr.write(f"\r{stage} {count:,} records…")
        sys.stderr.flush()
