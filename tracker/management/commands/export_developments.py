"""python manage.py export_developments [--format csv|json] [--output PATH]"""

import sys

from django.core.management.base import BaseCommand, CommandError

from tracker.importers import export_developments


class Command(BaseCommand):
    help = (
        "Write every development in the import format (CSV or JSON) to PATH or standard "
        "output; import_developments reads it back. JSON keeps everything; CSV keeps one "
        "citation per development."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("csv", "json"), default=None)
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, format, output, verbosity, **options):
        file_format = format or ("json" if output and output.endswith(".json") else "csv")
        try:
            out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot write '{output}': {error.strerror}.") from None
        try:
            count, dropped = export_developments(out, file_format)
        finally:
            if output:
                out.close()
        if dropped:
            self.stderr.write(
                f"CSV holds one citation per development: {dropped} further citation(s) "
                "were left out. Use --format json to keep them."
            )
        if output and verbosity > 0:
            self.stdout.write(f"Wrote {count} development(s) to {output}.")
