"""Common immunoglobulin products (clinical.md, after the Medscape IVIG monograph).

Loaded into the database by a data migration; patients add their own (EU brands, new ones).
Concentration converts volume to grams: 10 % = 100 mg/mL.
"""

from __future__ import annotations

from decimal import Decimal

IV = "IV"
SC = "SC"

# (brand, route, concentration in %, with hyaluronidase)
CATALOG: tuple[tuple[str, str, Decimal, bool], ...] = (
    ("Asceniv", IV, Decimal("10"), False),
    ("Bivigam", IV, Decimal("10"), False),
    ("Flebogamma DIF", IV, Decimal("10"), False),
    ("Flebogamma DIF", IV, Decimal("5"), False),
    ("Gammagard Liquid", IV, Decimal("10"), False),
    ("Gammaked", IV, Decimal("10"), False),
    ("Gammaplex", IV, Decimal("10"), False),
    ("Gammaplex", IV, Decimal("5"), False),
    ("Gamunex-C", IV, Decimal("10"), False),
    ("Octagam", IV, Decimal("10"), False),
    ("Octagam", IV, Decimal("5"), False),
    ("Panzyga", IV, Decimal("10"), False),
    ("Privigen", IV, Decimal("10"), False),
    ("Hizentra", SC, Decimal("20"), False),
    ("Cuvitru", SC, Decimal("20"), False),
    ("Xembify", SC, Decimal("20"), False),
    ("HyQvia", SC, Decimal("10"), True),
    # Cutaquig is 165 mg/mL (16.5 %), per its label.
    ("Cutaquig", SC, Decimal("16.5"), False),
)


def load_catalog(product_model) -> int:
    """Create the catalog products that are missing; returns how many were created."""
    created = 0
    for name, route, concentration, hyaluronidase in CATALOG:
        _, was_created = product_model.objects.get_or_create(
            patient=None,
            name=name,
            route=route,
            concentration_percent=concentration,
            defaults={"with_hyaluronidase": hyaluronidase},
        )
        created += was_created
    return created
