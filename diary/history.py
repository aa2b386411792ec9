"""Change history and soft delete: nothing in the diary is lost by an edit or a delete.

The mechanism is the project's one, in the lowest layer (:mod:`patients.history`), shared with
infusions and plans; these names stay here so the diary's code reads as before.
"""

from __future__ import annotations

from patients.history import (
    changes_for,
    record,
    restore,
    snapshot,
    soft_delete,
    soft_delete_queryset,
)
from patients.models import ChangeRecord

__all__ = [
    "ChangeRecord",
    "changes_for",
    "record",
    "restore",
    "snapshot",
    "soft_delete",
    "soft_delete_queryset",
]
