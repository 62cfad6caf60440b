"""manage.py refresh_figures [--check]"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker import figures
from tracker.models import DataVersion


class Command(BaseCommand):
    help = (
        "Recompute every evidence link's stored points and every recommendation's and "
        "actor's tally (tracker/figures.py), which the report figures read. Writes keep "
        "them current; run this after changing data with raw SQL. --check only lists "
        "what is out of date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="change nothing; fail if stale")

    def handle(self, *args, check, verbosity, **options):
        stale = figures.stale_links()
        tallies = figures.stale_tallies()
        if check:
            if stale:
                raise CommandError(
                    f"{len(stale)} evidence link(s) have out-of-date points, e.g. link "
                    f"{stale[0][0]}: stored {stale[0][1]}, now {stale[0][2]}. Run "
                    "manage.py refresh_figures."
                )
            if tallies:
                raise CommandError(
                    f"{len(tallies)} tallies are out of date, e.g. {tallies[0]}. Run "
                    "manage.py refresh_figures."
                )
            if verbosity:
                self.stdout.write("Every evidence link's points and every tally are current.")
            return
        with transaction.atomic():
            figures.refresh_all()
            DataVersion.objects.bump()  # cached figures are computed again
        if verbosity:
            self.stdout.write(
                f"Recomputed every link's points ({len(stale)} were out of date) and "
                f"every tally ({len(tallies)} were out of date)."
            )
