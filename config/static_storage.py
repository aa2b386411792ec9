"""The static files storages, with each file's address kept per process.

``{% static %}`` asks the storage for an address on every use: ~15 µs each (a manifest lookup
and ``urljoin``), six to eight on every page. The address of a name changes only with the
manifest, the static URL or DEBUG, none of which change while a process runs (a test that
overrides STATIC_URL or STORAGES gets a new storage: Django resets it). ``force=True`` (what
``collectstatic`` and the manifest's own post-processing use) is never kept.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class _KeptUrls:
    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        key = (name, settings.DEBUG)
        kept = self.__dict__.setdefault("_kept_urls", {})
        if key not in kept:
            kept[key] = super().url(name)
        return kept[key]


class KeptStaticFilesStorage(_KeptUrls, StaticFilesStorage):
    """Development and tests: the files as they are in each app's static folder."""


class KeptManifestStaticFilesStorage(_KeptUrls, CompressedManifestStaticFilesStorage):
    """Production: hashed, compressed copies (WhiteNoise)."""
