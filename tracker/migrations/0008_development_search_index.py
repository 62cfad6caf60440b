"""A GIN index for the explorer's full-text search, on PostgreSQL only.

Built on the expression `search()` queries (tracker.models.search_vector), so
PostgreSQL uses it. SQLite has no GIN index; its search is a plain text match.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX_NAME = "tracker_dev_search_idx"


def search_index():
    from tracker.models import search_vector

    return GinIndex(search_vector(), name=INDEX_NAME)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("tracker", "Development"), search_index())


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("tracker", "Development"), search_index())


class Migration(migrations.Migration):
    dependencies = [("tracker", "0007_data_version")]

    operations = [migrations.RunPython(add_index, remove_index)]
