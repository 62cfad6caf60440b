"""Django's loaddata, which also gives every loaded row its first version in the audit trail."""

from django.core.management.commands.loaddata import Command as LoaddataCommand

from tracker import figures
from tracker.audit import first_versions_for_loaded_rows


class Command(LoaddataCommand):
    help = (
        f"{LoaddataCommand.help} Rows that arrive without a version in the audit "
        "trail (the seed, a backup without history) get one: 'Loaded from a fixture'."
    )

    def loaddata(self, fixture_labels):
        # Inside loaddata's own transaction, once every fixture is in.
        with first_versions_for_loaded_rows(self.using):
            super().loaddata(fixture_labels)
            figures.refresh_all()  # raw saves send no refresh of each link's points
