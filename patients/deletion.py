"""Deleting a whole diary: every row of it goes, in one transaction, or nothing does.

A diary's own products (``Product.patient``, CASCADE) may be in use by its infusions and plans
(``Infusion.product`` and ``Regimen.product``, PROTECT: a product in use cannot be deleted on
its own). Django's collector refuses a PROTECT even when the rows holding it would go in the
same cascade, so the diary's rows that hold a PROTECT foreign key are deleted first, then the
diary with everything that cascades from it. PROTECT itself stays as it is.

The models are found through the app registry, like ``patients.signals``: this app may not
import the layers above it, and a new model with a PROTECT foreign key is covered by itself.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

from django.apps import apps
from django.db import models
from django.db.models.deletion import Collector


def _patient_field(model, patient_model):
    try:
        field = model._meta.get_field("patient")
    except Exception:  # FieldDoesNotExist: not a patient-scoped model
        return None
    return field if getattr(field, "related_model", None) is patient_model else None


def protecting_models(patient_model) -> list[type[models.Model]]:
    """The diary's models that hold a PROTECT foreign key, each before any model it protects."""
    found = [
        model
        for model in apps.get_models()
        if _patient_field(model, patient_model) is not None
        and any(
            f.is_relation and f.many_to_one and f.remote_field.on_delete is models.PROTECT
            for f in model._meta.concrete_fields
        )
    ]
    order: TopologicalSorter = TopologicalSorter()
    for model in found:
        order.add(model)
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target in found and field.remote_field.on_delete is models.PROTECT:
                order.add(target, model)  # `model` protects `target`: it goes first
    return list(order.static_order())


def delete_protecting_rows(patient, using: str) -> tuple[int, dict[str, int]]:
    """Delete the diary's rows that hold a PROTECT foreign key (run inside a transaction).

    A collector of our own, never ``QuerySet.delete()``: models with soft delete answer that
    with a soft delete. The collector's origin is the diary, which tells receivers that the
    whole diary is going (diary.signals skips re-checking warnings that are going too).
    """
    total, per_model = 0, {}
    for model in protecting_models(type(patient)):
        collector = Collector(using=using, origin=patient)
        collector.collect(model._base_manager.using(using).filter(patient=patient))
        count, counts = collector.delete()
        total += count
        for label, n in counts.items():
            per_model[label] = per_model.get(label, 0) + n
    return total, per_model
