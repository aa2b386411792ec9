"""``{{ number|tel }}``: a phone number as a ``tel:`` link target (digits and a leading +)."""

import re

from django import template

register = template.Library()


@register.filter
def tel(number: str) -> str:
    number = (number or "").strip()
    digits = re.sub(r"\D", "", number)
    return f"tel:{'+' if number.startswith('+') else ''}{digits}"
