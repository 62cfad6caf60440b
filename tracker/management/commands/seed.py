"""Load the seed fixtures into an empty database, and leave a used one alone."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from tracker.models import Development, Framework

SEED_FIXTURES = ("reference", "pollmann-2023")


class Command(BaseCommand):
    help = (
        "Load the seed data (fixtures/reference.json and fixtures/pollmann-2023.json) "
        "unless the database already holds frameworks or developments, so that edits "
        "made since are never overwritten. Use `loaddata` to reload it on purpose."
    )

    def handle(self, *args, **options):
        if Framework.objects.exists() or Development.objects.exists():
            self.stdout.write("The database already holds data; seed fixtures not loaded.")
            return
        call_command("loaddata", *SEED_FIXTURES, verbosity=options["verbosity"])
