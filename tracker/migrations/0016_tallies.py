"""Today's figures per recommendation and per actor (tracker/figures.py): the tables,
then every existing recommendation's and actor's tally counted once."""

import django.db.models.deletion
from django.db import migrations, models


def count_tallies(apps, schema_editor):
    # figures.tally_all() builds its SQL from the app's models (the rules live in
    # progress.py); on a database with nothing to count there is nothing to do.
    recommendations = apps.get_model("tracker", "Recommendation").objects
    actors = apps.get_model("tracker", "Actor").objects
    alias = schema_editor.connection.alias
    if not (recommendations.using(alias).exists() or actors.using(alias).exists()):
        return
    from tracker import figures

    figures.tally_all()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0015_evidence_points"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActorTally",
            fields=[
                (
                    "actor",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="tally",
                        serialize=False,
                        to="tracker.actor",
                    ),
                ),
                ("development_count", models.PositiveIntegerField(default=0)),
                ("advancing", models.PositiveIntegerField(default=0)),
                ("hindering", models.PositiveIntegerField(default=0)),
                ("net_score", models.FloatField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="RecommendationTally",
            fields=[
                (
                    "recommendation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="tally",
                        serialize=False,
                        to="tracker.recommendation",
                    ),
                ),
                ("advancing", models.PositiveIntegerField(default=0)),
                ("hindering", models.PositiveIntegerField(default=0)),
                ("net_score", models.FloatField(default=0)),
                ("last_evidence", models.DateField(null=True)),
                ("status", models.CharField(blank=True, max_length=20)),
                ("assessed_on", models.DateField(null=True)),
                ("links_since_assessment", models.PositiveIntegerField(default=0)),
                ("balance_since_assessment", models.FloatField(default=0)),
            ],
        ),
        migrations.RunPython(count_tallies, migrations.RunPython.noop),
    ]
