"""Django's dumpdata, leaving out the tallies (tracker/figures.py): derived from the
rest, and keyed by the ids of the rows they count, which a fixture with natural keys
does not keep. loaddata counts them again once the rows are in."""

from django.core.management.commands.dumpdata import Command as DumpdataCommand

from tracker import figures


class Command(DumpdataCommand):
    help = f"{DumpdataCommand.help} Tallies of figures are left out: loaddata counts them again."

    def handle(self, *app_labels, **options):
        derived = [model._meta.label for model in figures.TALLIES]
        options["exclude"] = [*options.get("exclude", []), *derived]
        return super().handle(*app_labels, **options)
