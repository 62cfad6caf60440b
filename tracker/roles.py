"""The Editors and Analysts groups and the permissions each holds.

Kept in step with the models after every `migrate` (see `TrackerConfig.ready`),
so a fresh database and an old one both have the same roles. Give a user a role
by adding them to the group and ticking "staff status" so they can reach the admin.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

EDITORS = "Editors"
ANALYSTS = "Analysts"

# Editors record what happens and judge it. Their changes to published records
# wait for another editor's review (tracker/review.py), so they also review. They
# add and change actors and sources but do not delete them (evidence hangs on
# them). What the scores rest on (frameworks, the recommendations' text, the
# development kinds and their verbal or material weight) only administrators
# change. A development's actors are edited on its own form.
EDITOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "development": ("view", "add", "change", "delete"),
    # Deleting a development deletes its actor links; they are edited on its form.
    "developmentactor": ("view", "delete"),
    "citation": ("view", "add", "change", "delete"),
    "evidence": ("view", "add", "change", "delete"),
    "assessment": ("view", "add", "change", "delete"),
    "source": ("view", "add", "change"),
    "actor": ("view", "add", "change"),
    "framework": ("view",),
    "recommendation": ("view",),
    "developmentkind": ("view",),
    "proposal": ("view", "change"),
    # Editors take snapshots when a review is published; nobody changes one.
    "snapshot": ("view", "add"),
}

# Analysts read the reports, the exports and the published records in the admin,
# and change nothing. Proposals are unpublished work: not theirs to read.
ANALYST_PERMISSIONS: dict[str, tuple[str, ...]] = {
    model: ("view",) for model in EDITOR_PERMISSIONS if model != "proposal"
}

ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    EDITORS: EDITOR_PERMISSIONS,
    ANALYSTS: ANALYST_PERMISSIONS,
}
# Both roles read the reports (a permission declared on Recommendation).
READ_REPORTS = "view_reports"


def ensure_roles(**kwargs) -> None:
    """Create the groups if missing and set their permissions exactly as above."""
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [
            f"{action}_{model}" for model, actions in grants.items() for action in actions
        ] + [READ_REPORTS]
        permissions = Permission.objects.filter(
            content_type__app_label="tracker", codename__in=codenames
        )
        group.permissions.set(permissions)


def can_read_reports(user) -> bool:
    """Whoever holds tracker.view_reports (analysts, editors) and administrators."""
    return user.is_active and user.has_perm(f"tracker.{READ_REPORTS}")
