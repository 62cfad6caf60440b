"""python manage.py import_datapackage PATH [--dry-run]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.datapackage import PackageError, import_package


class Command(BaseCommand):
    help = (
        "Read a data package written by export_datapackage (its folder, its "
        "datapackage.json, or its zip) into this database, in one transaction: sources, "
        "frameworks, recommendations, development kinds and actors by their codes and keys, "
        "the developments with their actors, citations and evidence through the import "
        "(checked as import_developments checks a file), then the assessments. Any problem "
        "stops it with the file and line at fault, and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the package: a folder, its datapackage.json, or a .zip")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report; write nothing"
        )

    def handle(self, *args, path, dry_run, verbosity, **options):
        package = Path(path)
        if not package.exists():
            raise CommandError(f"'{path}' does not exist.")
        try:
            report = import_package(package, dry_run=dry_run)
        except PackageError as error:
            raise CommandError(f"{error} Nothing was written.") from None
        if verbosity > 0 or dry_run:
            prefix = "Dry run, nothing written. " if dry_run else ""
            self.stdout.write(prefix + report.summary())
