"""An infusion's or a plan's change history in plain words, and lot numbers edits removed.

The records themselves are written by :mod:`infusions.records` through :mod:`patients.history`;
this module only reads them: “Dose (g): 35 → 30”, “Lot A123 removed”, “Rate step 60 min:
2 → 3 mL/kg/h”. The lot search asks it for lot numbers that were on an infusion once and that
an edit took away, so that a recall search never misses a lot the patient was given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinical import symptoms
from patients import history
from patients.models import ChangeRecord

from .models import Infusion, InfusionLot, InfusionReaction, Premedication, RateStep, Regimen

# At most this many edits of a diary's infusions are read by one lot search (newest first).
# Years of infusions edited now and then stay far below it.
REMOVED_LOTS_SCAN = 1000


def _number(value) -> str:
    return history.show_value(RateStep._meta.get_field("rate"), value)


def _lot_label(row: dict) -> str:
    return _("Lot %(number)s") % {"number": row.get("lot_number") or "—"}


def _lot_detail(row: dict) -> str:
    parts = []
    if row.get("vial_size_g"):
        size = history.show_value(InfusionLot._meta.get_field("vial_size_g"), row["vial_size_g"])
        parts.append(f"{row.get('vial_count') or 1} × {size} g")
    expiry = history.python_value(InfusionLot._meta.get_field("expiry"), row.get("expiry"))
    if isinstance(expiry, dt.date):
        parts.append(_("exp. %(date)s") % {"date": date_format(expiry, "M Y")})
    return ", ".join(parts)


def _rate_label(row: dict) -> str:
    return _("Rate step %(minutes)s min") % {"minutes": row.get("minutes_from_start")}


def _rate_value(row: dict) -> str:
    return f"{_number(row.get('rate'))} {row.get('unit', '')}".strip()


def _premedication_label(row: dict) -> str:
    what = f"{row.get('name', '')} {row.get('dose', '')}".strip()
    return _("Premedication %(what)s") % {"what": what}


def _premedication_detail(row: dict) -> str:
    taken = history.python_value(Premedication._meta.get_field("taken_at"), row.get("taken_at"))
    return _("at %(time)s") % {"time": taken.strftime("%H:%M")} if taken else ""


def _reaction_label(row: dict) -> str:
    return _("Reaction %(symptom)s") % {"symptom": symptoms.label(row.get("symptom", ""))}


def _reaction_detail(row: dict) -> str:
    return f"{row.get('severity')}/10"


# Child rows of an infusion: the model, how a row is named, and what else an added or removed
# row shows.
CHILDREN = {
    "lots": (InfusionLot, _lot_label, _lot_detail),
    "rate_steps": (RateStep, _rate_label, _rate_value),
    "premedications": (Premedication, _premedication_label, _premedication_detail),
    "reactions": (InfusionReaction, _reaction_label, _reaction_detail),
}


def _with_detail(text: str, detail: str) -> str:
    return f"{text} ({detail})" if detail else text


def child_lines(name: str, before_rows: list[dict], after_rows: list[dict]) -> list[str]:
    """What happened to one kind of child row: added, removed, or changed (matched by id)."""
    model, label, detail = CHILDREN[name]
    old = {row.get("id"): row for row in before_rows}
    new = {row.get("id"): row for row in after_rows}
    lines = []
    for key, row in old.items():
        if key not in new:
            lines.append(_with_detail(_("%(row)s removed") % {"row": label(row)}, detail(row)))
    for key, row in new.items():
        if key not in old:
            lines.append(_with_detail(_("%(row)s added") % {"row": label(row)}, detail(row)))
            continue
        changed = history.changed_fields(model, old[key], row)
        if not changed:
            continue
        names = {field.name for field, _old, _new in changed}
        if name == "rate_steps" and names <= {"rate", "unit"}:
            if old[key].get("unit") == row.get("unit"):
                text = f"{_number(old[key].get('rate'))} → {_rate_value(row)}"
            else:
                text = f"{_rate_value(old[key])} → {_rate_value(row)}"
            lines.append(f"{label(old[key])}: {text}")
            continue
        if name == "lots" and "lot_number" in names:
            lines.append(f"{label(old[key])} → {row.get('lot_number')}")
            changed = [c for c in changed if c[0].name != "lot_number"]
            if not changed:
                continue
        parts = "; ".join(f"{field.verbose_name} {was} → {now}" for field, was, now in changed)
        lines.append(f"{label(old[key])}: {parts}")
    return lines


def describe(model, changes: Iterable[ChangeRecord]) -> list[ChangeRecord]:
    """Give each change of an infusion or a plan its ``lines``: what changed, in plain words."""
    changes = list(changes)
    names = history.related_names(model, changes)
    for change in changes:
        before, after = change.before or {}, change.after or {}
        lines = history.field_lines(model, before, after, names)
        if before and after:
            for name in getattr(model, "history_children", ()):
                lines += child_lines(name, before.get(name, []), after.get(name, []))
        change.lines = lines
    return changes


def infusion_changes(infusion: Infusion) -> list[ChangeRecord]:
    return describe(Infusion, history.changes_for(infusion))


def plan_changes(plan: Regimen) -> list[ChangeRecord]:
    return describe(Regimen, history.changes_for(plan))


# --- lot numbers that edits removed --------------------------------------------------------------


@dataclass(frozen=True)
class RemovedLot:
    """A lot number an edit took off an infusion: when, by whom, and where the infusion is now."""

    lot_number: str
    expiry: dt.date | None
    infusion_id: int
    infusion_date: dt.date | None
    removed_at: dt.datetime
    removed_by: object | None  # User
    infusion_state: str  # "live", "deleted" or "gone"
