"""Template context shared by every page: the navigation of the modules that exist and the user may use."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from sibao.accounts.roles import Action
from sibao.core.models import Notification
from sibao.regions.scoping import holds_action_somewhere

# (url name, label, icon). A module appears once its URL exists; modules not built are not shown.
MODULES = [
    ("home", _("Overview"), "home"),
    ("enterprises:list", _("Enterprises"), "building"),
    ("whitelist:list", _("Whitelist"), "list"),
    ("prevention:home", _("Epidemic prevention"), "shield"),
    ("appeals:list", _("Appeals"), "inbox"),
    ("assignments:list", _("Assignments"), "clipboard"),
    ("policies:list", _("Policies"), "gift"),
    ("logistics:home", _("Logistics"), "truck"),
    ("dashboard:home", _("One screen"), "chart"),
    ("accounts:user_list", _("Users"), "user"),
    ("audit:list", _("Audit log"), "book"),
]

# Modules shown only to users holding some grant whose role allows the action (superusers always).
MODULE_ACTIONS = {
    "audit:list": Action.AUDIT,
    "accounts:user_list": Action.MANAGE_USERS,
}


def _available_modules() -> list[tuple[str, str, str, str]]:
    found = []
    for name, label, icon in MODULES:
        try:
            found.append((name, label, icon, reverse(name)))
        except NoReverseMatch:
            continue
    return found


def _allowed(user, name: str) -> bool:
    action = MODULE_ACTIONS.get(name)
    return action is None or holds_action_somewhere(user, action)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_modules": [], "unread_notifications": 0}
    path = request.path
    modules = [
        {
            "name": name,
            "label": label,
            "icon": icon,
            "url": url,
            "active": path == url if url == "/" else path.startswith(url),
        }
        for name, label, icon, url in _available_modules()
        if _allowed(user, name)
    ]
    return {"nav_modules": modules, "unread_notifications": Notification.objects.visible_to(user).unread().count()}
