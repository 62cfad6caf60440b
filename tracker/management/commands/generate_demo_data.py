"""manage.py generate_demo_data --developments N --frameworks F --recommendations R --seed S"""

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
        parser.add_argument(
            "--frameworks", type=int, default=3, help="Demo frameworks to add (default 3)."
        )
        parser.add_argument(
            "--recommendations",
            type=int,
            default=None,
            help="Recommendations in each demo framework (default: 3 to 5 each).",
        )
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, developments, frameworks, recommendations, seed, verbosity, **options):
        if developments < 0:
            raise CommandError("--developments must be zero or more.")
        if frameworks < 0 or (recommendations is not None and recommendations < 1):
            raise CommandError("--frameworks must be zero or more, --recommendations one or more.")
        try:
            summary = generate(developments, seed, frameworks, recommendations)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if verbosity > 0:
            self.stdout.write(
                f"Added {summary.developments} developments with {summary.evidence} evidence "
                f"links ({summary.frameworks} frameworks, {summary.actors} actors, "
                f"{summary.sources} demo sources, {summary.assessments} assessments)."
            )
