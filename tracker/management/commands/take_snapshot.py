"""manage.py take_snapshot --title "2026 Q4 review": freeze today's figures."""

from django.core.management.base import BaseCommand, CommandError

from tracker import snapshots


class Command(BaseCommand):
    help = (
        "Freeze the dashboard's figures and every counted evidence link, with the "
        "methodology version, as a snapshot that never changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--title", required=True, help="e.g. '2026 Q4 review'")

    def handle(self, *args, title, **options):
        try:
            snapshot = snapshots.take(title)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Snapshot '{snapshot.title}' taken: {len(snapshot.figures)} recommendations, "
            f"{len(snapshot.links)} evidence links, methodology v{snapshot.methodology}. "
            f"Its address: {snapshot.get_absolute_url()}"
        )
