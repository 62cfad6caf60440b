"""The Editors and Analysts groups and the permissions each holds.

Kept in step with the models after every `migrate` (see `TrackerConfig.ready`),
so a fresh database and an old one both have the same roles. Give a user a role
by adding them to the group and ticking "staff status" so they can reach the admin.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

EDITORS = "Editors"
ANALYSTS = "Analysts"

# Editors record what happens and judge it; they may add and change reference
# data but not delete it (frameworks, recommendations, kinds, actors and sources
# are protected, since evidence hangs on them).
EDITOR_PERMISSIONS = {
    "development": ("view", "add", "change", "delete"),
    "developmentactor": ("view", "add", "change", "delete"),
    "citation": ("view", "add", "change", "delete"),
    "evidence": ("view", "add", "change", "delete"),
    "assessment": ("view", "add", "change", "delete"),
    "source": ("view", "add", "change"),
    "actor": ("view", "add", "change"),
    "framework": ("view", "add", "change"),
    "recommendation": ("view", "add", "change"),
    "developmentkind": ("view", "add", "change"),
}

# Analysts read the reports, the exports and the admin, and change nothing.
ANALYST_PERMISSIONS = {model: ("view",) for model in EDITOR_PERMISSIONS}

ROLES = {EDITORS: EDITOR_PERMISSIONS, ANALYSTS: ANALYST_PERMISSIONS}


def ensure_roles(**kwargs) -> None:
    """Create the groups if missing and set their permissions exactly as above."""
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [
            f"{action}_{model}" for model, actions in grants.items() for action in actions
        ]
        permissions = Permission.objects.filter(
            content_type__app_label="tracker", codename__in=codenames
        )
        group.permissions.set(permissions)


def can_read_reports(user) -> bool:
    """Analysts, editors and administrators read the reports."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=ROLES).exists()
