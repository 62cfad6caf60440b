"""python manage.py export_developments [--format csv|json] [--output PATH] [--include-drafts]"""

import sys

from django.core.management.base import BaseCommand, CommandError

from tracker.interchange import export_developments
from tracker.models import Development


class Command(BaseCommand):
    help = (
        "Write every published development in the import format (CSV or JSON) to PATH or "
        "standard output; import_developments reads it back. JSON keeps everything; CSV "
        "keeps one citation per development. Drafts only with --include-drafts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("csv", "json"), default=None)
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument(
            "--include-drafts",
            action="store_true",
            help="also export drafts (developments not yet published)",
        )

    def handle(self, *args, format, output, include_drafts, verbosity, **options):
        file_format = format or ("json" if output and output.endswith(".json") else "csv")
        try:
            out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot write '{output}': {error.strerror}.") from None
        developments = (
            Development.objects.all() if include_drafts else Development.objects.published()
        )
        try:
            count, dropped = export_developments(out, file_format, developments)
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
