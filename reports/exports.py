"""What every export shares: its file name (``diary-<name>-<from>-<to>.<ext>``) and the
``Content-Disposition`` header that offers it for download.

The diary's name is the user's own text: it is made a slug (letters, digits and hyphens only,
no path, quote or control character can get through), kept in its own script for the name the
browser saves (RFC 6266 ``filename*``) and spelt in ASCII for the plain ``filename`` that older
clients read. ``download_name`` alone also suits ``FileResponse(as_attachment=True,
filename=...)``: Django sends a non-ASCII name as ``filename*`` itself.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from urllib.parse import quote

from django.utils.text import slugify

from patients.models import Patient

# Long enough for any first name or nickname; a 80-character name would make an unwieldy file.
NAME_MAX = 40
# Used when nothing of the name survives the slug (e.g. only punctuation).
FALLBACK_NAME = "patient"
_EXTENSION = re.compile(r"^[a-z0-9]+(?:\.[a-z0-9]+)?$")
_NAMELESS = re.compile(r"^diary-(?=\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}$)")


def _slug(text: str, *, allow_unicode: bool) -> str:
    slug = slugify(text, allow_unicode=allow_unicode)[:NAME_MAX].strip("-_")
    return slug or FALLBACK_NAME


def download_name(patient: Patient, since: dt.date, until: dt.date, ext: str) -> str:
    """``diary-<name>-<from>-<to>.<ext>``, e.g. ``diary-maya-2026-11-02-2026-11-20.zip``.

    The name keeps its letters in any script ("zoë", "李雷"); :func:`content_disposition`
    adds an ASCII spelling for clients that do not read ``filename*``.
    """
    if not _EXTENSION.match(ext):
        raise ValueError(f"Not a file extension: {ext!r}")
    name = _slug(patient.name, allow_unicode=True)
    return f"diary-{name}-{since.isoformat()}-{until.isoformat()}.{ext}"


def ascii_name(filename: str) -> str:
    """The same file name in ASCII: accents dropped ("zoë" → "zoe"), other scripts left out
    (a name with nothing left becomes "patient")."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    ascii_stem = (
        unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii").lower()
    )
    ascii_stem = re.sub(r"[^a-z0-9_.-]+", "-", ascii_stem)
    ascii_stem = re.sub(r"-{2,}", "-", ascii_stem).strip("-.")
    # A name wholly in another script leaves "diary-<from>-<to>": call it "patient" instead.
    ascii_stem = _NAMELESS.sub("diary-patient-", ascii_stem)
    ascii_stem = ascii_stem or "diary"
    return f"{ascii_stem}.{ext}" if ext else ascii_stem


def content_disposition(filename: str) -> str:
    """``attachment; filename="<ascii>"``, plus ``filename*=UTF-8''<name>`` (RFC 6266, RFC 8187)
    when the name is not plain ASCII."""
    fallback = ascii_name(filename)
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
