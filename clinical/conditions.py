"""Conditions treated with immunoglobulin that the diary knows about (clinical.md).

Plain data, versioned with the code: later features (which measures to show by default) key
off these codes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Condition(models.TextChoices):
    MYASTHENIA_GRAVIS = "mg", _("Myasthenia gravis")
    CIDP = "cidp", _("CIDP (chronic inflammatory demyelinating polyneuropathy)")
    GBS = "gbs", _("Guillain-Barré syndrome")
    ITP = "itp", _("ITP (immune thrombocytopenia)")
    MYOSITIS = "myositis", _("Myositis")
    PRIMARY_IMMUNODEFICIENCY = "pid", _("Primary immunodeficiency")
    OTHER = "other", _("Other")
