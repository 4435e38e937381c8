"""Template context shared by every page: the navigation of the modules that exist."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

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
    ("audit:list", _("Audit log"), "book"),
]


def _available_modules() -> list[tuple[str, str, str, str]]:
    found = []
    for name, label, icon in MODULES:
        try:
            found.append((name, label, icon, reverse(name)))
        except NoReverseMatch:
            continue
    return found


def navigation(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_modules": []}
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
    ]
    return {"nav_modules": modules}
