"""``{% symptom_datalist %}``: the browser's suggestions as a patient types a sign in words.

Every sign's label and synonyms, about 300 ``<option>`` elements, the same for every page in a
language: built once per language and process instead of looping over them on each render (it
was ~40% of the time to render the home page's main part).
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from clinical import symptoms

register = template.Library()


@register.simple_tag
def symptom_datalist() -> SafeString:
    return _datalist(get_language())


@lru_cache(maxsize=32)
def _datalist(language: str | None) -> SafeString:
    options = format_html_join(
        "", '<option value="{}"></option>', ((w,) for w in symptoms.phrase_list())
    )
    return format_html('<datalist id="symptom-words">{}</datalist>', options)
