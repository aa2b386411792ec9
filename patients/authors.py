"""Authors kept by name: who logged a record that no account of this diary logged.

A diary imported from a full export (reports.full_import) credits the file's owners to the
importer; anyone else (a caregiver, a former member) has no account here, so the record keeps
their name and the role they had in the diary it came from (``logged_by_name`` and
``logged_by_role``, ``handled_by_…``, ``made_by_…``, ``updated_by_…``, ``changed_by_…``).

How they are shown (docs/export-format.md, "People"): exactly as the diary they came from showed
them, so the same record reads the same in both.

* a caregiver there: "Sam (caregiver)", as a caregiver's records read in any diary;
* no longer a member there: "a former member", as there (the name stays kept, for the next
  export, but is not shown: the diary it came from did not show it either);
* where a page names the account itself (change history, an infusion's "Logged by"): the name.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import Membership

CAREGIVER_ROLES = frozenset({Membership.Role.CAREGIVER_EDITOR, Membership.Role.CAREGIVER_VIEWER})


def kept_label(name: str, role: str) -> str:
    """The label of an author kept by name, or "" when there is none (or they were no longer a
    member: the caller's "a former member" is the label, as in the diary they came from)."""
    if not name:
        return ""
    if role in CAREGIVER_ROLES:
        return _("%(name)s (caregiver)") % {"name": name}
    if role == Membership.Role.OWNER:
        return name
    return ""


def kept_author(obj, field: str = "logged_by") -> str:
    """``obj``'s author kept by name (``field`` is the foreign key: ``logged_by``,
    ``handled_by``…), labelled as :func:`kept_label` says; "" when there is none."""
    return kept_label(getattr(obj, f"{field}_name", ""), getattr(obj, f"{field}_role", ""))
