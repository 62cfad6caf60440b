"""python manage.py generate_demo_data --developments N --seed S"""

from django.core.management.base import BaseCommand, CommandError

from tracker.demo import generate


class Command(BaseCommand):
    help = (
        "Add realistic synthetic developments for measuring the tracker at scale: demo "
        "frameworks, every country as an actor, sources, 1–3 evidence links per "
        "development and assessments. The same --seed gives the same data. Load the "
        "reference data first (manage.py seed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--developments", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, developments, seed, verbosity, **options):
        if developments < 0:
            raise CommandError("--developments must be zero or more.")
        try:
            summary = generate(developments, seed)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if verbosity > 0:
            self.stdout.write(
                f"Added {summary.developments} developments with {summary.evidence} evidence "
                f"links ({summary.frameworks} frameworks, {summary.actors} actors, "
                f"{summary.sources} demo sources, {summary.assessments} assessments)."
            )
