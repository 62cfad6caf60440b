"""Each evidence link keeps its points (tracker/figures.py): the column, then every
existing link's points computed once."""

from django.db import migrations, models


def compute_points(apps, schema_editor):
    # figures.refresh_all_points() builds its SQL from the app's models (the rule lives in
    # progress.py); on a database with no links yet there is nothing to compute.
    if (
        not apps.get_model("tracker", "Evidence")
        .objects.using(schema_editor.connection.alias)
        .exists()
    ):
        return
    from tracker import figures

    figures.refresh_all_points()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0014_background_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="evidence",
            name="points",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(compute_points, migrations.RunPython.noop),
    ]
