"""Infusion rate units and their conversions.

Labels give rates in mg/kg/min or mL/kg/h; pumps show mL/h. They convert through the product's
concentration (10 % = 100 mg/mL) and the patient's weight (clinical.md, Infusions).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateUnit(models.TextChoices):
    ML_PER_H = "mL/h", _("mL/h")
    ML_PER_KG_H = "mL/kg/h", _("mL/kg/h")
    MG_PER_KG_MIN = "mg/kg/min", _("mg/kg/min")


class MissingWeight(ValueError):
    """A conversion needs the patient's weight and none was given."""


def mg_per_ml(concentration_percent: Decimal) -> Decimal:
    return Decimal(concentration_percent) * 10


def to_ml_per_kg_h(
    value: Decimal, unit: str, *, concentration_percent: Decimal, weight_kg: Decimal | None
) -> Decimal:
    """Any rate, in mL/kg/h (the unit most labels and pump charts step up in)."""
    value = Decimal(value)
    if unit == RateUnit.ML_PER_KG_H:
        return value
    if unit == RateUnit.MG_PER_KG_MIN:
        # mg/kg/min * 60 min/h / (mg/mL) = mL/kg/h
        return value * 60 / mg_per_ml(concentration_percent)
    if unit == RateUnit.ML_PER_H:
        if not weight_kg:
            raise MissingWeight("mL/h converts to mL/kg/h only with a weight")
        return value / Decimal(weight_kg)
    raise ValueError(f"unknown rate unit {unit!r}")


def convert_rate(
    value: Decimal,
    unit: str,
    target: str,
    *,
    concentration_percent: Decimal,
    weight_kg: Decimal | None,
    places: Decimal = Decimal("0.01"),
) -> Decimal:
    """A rate in any unit, in ``target``, rounded to ``places``."""
    per_kg_h = to_ml_per_kg_h(
        value, unit, concentration_percent=concentration_percent, weight_kg=weight_kg
    )
    if target == RateUnit.ML_PER_KG_H:
        result = per_kg_h
    elif target == RateUnit.MG_PER_KG_MIN:
        result = per_kg_h * mg_per_ml(concentration_percent) / 60
    elif target == RateUnit.ML_PER_H:
        if not weight_kg:
            raise MissingWeight("mL/kg/h converts to mL/h only with a weight")
        result = per_kg_h * Decimal(weight_kg)
    else:
        raise ValueError(f"unknown rate unit {target!r}")
    return result.quantize(places, rounding=ROUND_HALF_UP)


def highest_rate(
    rates: Iterable[tuple[Decimal, str]],
    target: str = RateUnit.ML_PER_KG_H,
    *,
    concentration_percent: Decimal,
    weight_kg: Decimal | None,
    places: Decimal = Decimal("0.01"),
) -> Decimal | None:
    """The fastest of ``rates`` ((value, unit) pairs, as logged step by step), in ``target``:
    what to compare with a label's maximum. A rate that cannot be converted (mL/h without a
    weight) is left out; None if none can be."""
    converted = []
    for value, unit in rates:
        try:
            converted.append(
                convert_rate(
                    value,
                    unit,
                    target,
                    concentration_percent=concentration_percent,
                    weight_kg=weight_kg,
                    places=places,
                )
            )
        except ValueError:  # MissingWeight, or a unit this code no longer knows
            continue
    return max(converted, default=None)


# Plausibility bounds, in mL/kg/h. Labels step up to about 4-8 mL/kg/h (clinical.md); above the
# "unusual" bound we ask the user to confirm, above the "impossible" bound we refuse.
RATE_UNUSUAL_ML_PER_KG_H = Decimal("8")
RATE_IMPOSSIBLE_ML_PER_KG_H = Decimal("30")
