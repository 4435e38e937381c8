"""Vocabularies shared by several apps (the glossary of DESIGN §5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    """The five whitelist sectors of both work plans."""

    INDUSTRY = "industry", _("Industrial production")
    COMMERCE = "commerce", _("Commerce and distribution")
    TRANSPORT = "transport", _("Transport")
    CULTURE_TOURISM = "culture_tourism", _("Culture and tourism")
    KEY_PROJECT = "key_project", _("Key projects")
