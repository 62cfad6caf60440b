from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Policy Recommendation Tracker"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tracker import audit, caching, figures
        from tracker.roles import ensure_roles

        caching.connect_signals()
        audit.connect_signals()
        figures.connect_signals()

        # After every migrate, once auth has created this app's permissions.
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="tracker.ensure_roles")
