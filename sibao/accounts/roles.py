"""Roles and what each may do. Grants pair a role with a region subtree and an optional sector."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    VIEW = "view", _("view")
    CREATE = "create", _("create")
    CHANGE = "change", _("change")
    IMPORT = "import", _("import")
    EXPORT = "export", _("export")
    AUDIT = "audit", _("read the audit log")
    MANAGE_USERS = "manage_users", _("manage users")
    REVIEW = "review", _("review whitelist applications and publish criteria")
    SPOT_CHECK = "spot_check", _("record spot checks and propose breaker actions")
    DECIDE_FOR_DISPATCH = "decide_for_dispatch", _("decide jointly for the dispatch office")
    DECIDE_FOR_PREVENTION = "decide_for_prevention", _("decide jointly for the epidemic-prevention HQ")
    HEALTH = "health", _("keep and see staff rosters and health data")
    REVEAL_ID = "reveal_id", _("reveal full ID numbers")
    SWITCH_MODE = "switch_mode", _("switch a region between normal and emergency mode")


class Role(models.TextChoices):
    ADMIN = "admin", _("Platform administrator")
    DISPATCHER = "dispatcher", _("Dispatch office")
    SECTOR_OFFICIAL = "sector_official", _("Sector department")
    LOCAL_OFFICIAL = "local_official", _("Local unit")
    PREVENTION_OFFICIAL = "prevention_official", _("Epidemic-prevention HQ")
    CADRE = "cadre", _("Cadre steward")
    AUDITOR = "auditor", _("Auditor")
    CHECKPOINT = "checkpoint", _("Checkpoint officer")


_EDIT = {Action.VIEW, Action.CREATE, Action.CHANGE, Action.IMPORT, Action.EXPORT}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(_EDIT | {Action.AUDIT, Action.MANAGE_USERS}),
    Role.DISPATCHER: frozenset(
        _EDIT | {Action.REVIEW, Action.SPOT_CHECK, Action.DECIDE_FOR_DISPATCH, Action.SWITCH_MODE}
    ),
    Role.SECTOR_OFFICIAL: frozenset(_EDIT | {Action.REVIEW, Action.SPOT_CHECK}),
    # A local unit keeps its firms' data and answers for their epidemic prevention (属地负总责), but
    # cannot stop or remove a whitelisted firm on its own.
    Role.LOCAL_OFFICIAL: frozenset(_EDIT | {Action.HEALTH}),
    Role.PREVENTION_OFFICIAL: frozenset(
        {
            Action.VIEW,
            Action.EXPORT,
            Action.SPOT_CHECK,
            Action.DECIDE_FOR_PREVENTION,
            Action.HEALTH,
            Action.REVEAL_ID,
            Action.SWITCH_MODE,
        }
    ),
    Role.CADRE: frozenset({Action.VIEW}),
    Role.AUDITOR: frozenset({Action.VIEW, Action.EXPORT, Action.AUDIT}),
    Role.CHECKPOINT: frozenset(),
}

# What an enterprise liaison may do with its own enterprise's rows (its staff roster and tests included).
LIAISON_ACTIONS = frozenset({Action.VIEW, Action.CHANGE, Action.EXPORT, Action.HEALTH})

# Roles that must sign in with a second factor when SIBAO_REQUIRE_2FA is on.
OFFICIAL_ROLES = frozenset(set(Role) - {Role.CHECKPOINT})


def role_allows(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())
