"""Lot numbers as a recall search compares them: without spaces, dashes, dots or slashes and
in upper case, on both sides (the typed search and the stored numbers).

A lot number is printed and typed with or without separators ("AB-12 345", "ab12345"), and a
recall notice need not write it as the diary does; a false "No" on "was I given lot X?" is the
one answer the search must never give wrongly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace

from django.db.models import TextField, Value
from django.db.models.functions import Cast, Replace, Upper

from patients import history
from patients.models import ChangeRecord

from .changes import REMOVED_LOTS_SCAN, RemovedLot
from .models import Infusion, InfusionLot

# A lot number is printed and typed with or without spaces, dashes, dots or slashes ("AB-12 345",
# "ab12345"), and a recall notice need not write it as the diary does: the search ignores them
# and case on both sides, the typed search and the stored numbers. Also the look-alikes a phone
# or a copied PDF gives: no-break spaces and Unicode dashes.
LOT_SEPARATORS = " -./_\u00a0\u202f\u2010\u2011\u2012\u2013\u2014\u2212"
_NO_SEPARATORS = str.maketrans("", "", LOT_SEPARATORS)


def lot_key(number: str) -> str:
    """A lot number as the search compares it: upper case, without separators."""
    return number.translate(_NO_SEPARATORS).upper()


def _without_separators(expression, separators: Iterable[str] = LOT_SEPARATORS):
    for separator in separators:
        expression = Replace(expression, Value(separator), output_field=TextField())
    return expression


def lot_key_sql(field: str):
    """:func:`lot_key` in the database (SQLite and PostgreSQL alike)."""
    return _without_separators(Upper(field))


def _change_text_key_sql(field: str):
    """A change record's JSON as text, as :func:`lot_key` would make it: a narrowing that never
    loses a number the key is part of. SQLite keeps JSON as ASCII, with ``\\u00a0`` for a
    no-break space (lower-case hex, so before ``Upper``); PostgreSQL gives the characters."""
    escapes = [json.dumps(ch)[1:-1] for ch in LOT_SEPARATORS if not ch.isascii()]
    return _without_separators(Upper(_without_separators(Cast(field, TextField()), escapes)))


def removed_lots(patient, key: str) -> list[RemovedLot]:
    """Lot numbers whose key
    contains ``key`` that were on one of the patient's infusions before an edit and not after
    it, newest removal first, one per infusion and number; a number that is back on that
    infusion now is left out (the live search finds it). The newest
    ``REMOVED_LOTS_SCAN`` edits that may mention it are read."""
    records = ChangeRecord.objects.filter(
        patient=patient, model=history.model_key(Infusion), action=ChangeRecord.Action.UPDATED
    )
    if key.isascii() and '"' not in key and "\\" not in key:
        # Narrow in the database: the stored JSON holds the number as typed.
        records = records.alias(search_key=_change_text_key_sql("before")).filter(
            search_key__contains=key
        )
    records = records.select_related("changed_by").order_by("-changed_at", "-pk")
    expiry_field = InfusionLot._meta.get_field("expiry")
    date_field = Infusion._meta.get_field("date")
    found: dict[tuple[int, str], RemovedLot] = {}
    for record in records[:REMOVED_LOTS_SCAN]:
        before, after = record.before or {}, record.after or {}
        kept = {lot.get("lot_number") for lot in after.get("lots", [])}
        for lot in before.get("lots", []):
            number = lot.get("lot_number") or ""
            found_key = (record.object_id, number)
            if number in kept or key not in lot_key(number) or found_key in found:
                continue
            found[found_key] = RemovedLot(
                lot_number=number,
                expiry=history.python_value(expiry_field, lot.get("expiry")) or None,
                infusion_id=record.object_id,
                infusion_date=history.python_value(date_field, before.get("date")) or None,
                removed_at=record.changed_at,
                removed_by=record.changed_by or record.changed_by_name or None,
                infusion_state="gone",
            )
    if not found:
        return []
    ids = {infusion_id for infusion_id, _number in found}
    states = dict(
        Infusion.all_objects.filter(patient=patient, pk__in=ids).values_list("pk", "deleted_at")
    )
    present = set(
        InfusionLot.objects.filter(
            infusion_id__in=ids, lot_number__in={n for _i, n in found}
        ).values_list("infusion_id", "lot_number")
    )
    result = []
    for found_key, lot in found.items():
        if found_key in present:
            continue
        state = "gone"
        if lot.infusion_id in states:
            state = "live" if states[lot.infusion_id] is None else "deleted"
        result.append(replace(lot, infusion_state=state))
    return result
