"""Static addresses are kept per process (config/static_storage.py) without changing them: the
same address as the storage Django would use, in development and with the hashed manifest."""

from django.contrib.staticfiles.storage import StaticFilesStorage, staticfiles_storage
from django.templatetags.static import static
from django.test import override_settings


def test_the_address_is_django_s_and_kept():
    assert static("css/app.css") == StaticFilesStorage().url("css/app.css")
    kept = staticfiles_storage._wrapped.__dict__["_kept_urls"]
    assert kept[("css/app.css", False)] == "/static/css/app.css"


def test_a_new_static_url_is_not_served_from_the_kept_ones():
    static("css/app.css")
    with override_settings(STATIC_URL="/assets/"):
        assert static("css/app.css") == "/assets/css/app.css"
    assert static("css/app.css") == "/static/css/app.css"
