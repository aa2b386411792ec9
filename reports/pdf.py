"""The report as a PDF: the report's HTML laid out on paper by WeasyPrint.

One template serves the screen, the browser's print and the PDF (architecture.md). This module
adds what only paged media has, in ``static/reports/paged.css``: the paper size (A4 or Letter),
margins, and on every page a header (patient's name, date of birth, clinic number, period) and a
footer (the disclaimer, the date made, "Page X of Y"). The report template includes
``reports/_running.html``, which holds that header and footer: hidden on screen, moved into the
page margins here (CSS running elements).

* :func:`write_pdf` lays out any HTML string: the low level, for a template of one's own.
* :func:`render` renders the report template for a diary and period, then lays it out.

WeasyPrint is imported only when a PDF is made: it takes ~0.4 s to import, and it needs the
system's Pango library, so the rest of the site runs on a machine without it.
:class:`PdfUnavailable` then says what to install.

Resources: the HTML may link stylesheets and images with ``{% static %}`` and use ``data:``
URLs; nothing else is fetched (no network, no file outside the static files), so a report can
neither leak a page view to a third party nor read the server's files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import Patient

from . import sections as report_sections

# The document's own address while it is laid out: links like /static/... resolve against it
# and are served from the static files by _StaticOnlyFetcher. ".invalid" never resolves.
INTERNAL_BASE_URL = "https://report.invalid/"
PAGED_CSS = "reports/paged.css"
# The report a doctor reads: a page around templates/reports/_document.html, the same document
# the report page shows (its context: reports.document.template_context).
TEMPLATE = "reports/report_pdf.html"
# The whole disclaimer: on the page under page 1, and in the PDF in every page's footer only
# (paged.css hides the one under page 1, which would otherwise spill onto a page of its own).
DISCLAIMER = _(
    "Kept by the patient and their caregivers in an infusion diary. "
    "Not a medical record and not medical advice. "
    "It records what the patient and their caregivers entered; it makes no diagnosis and "
    "suggests no doses."
)
# Page 1 on one sheet: the element that ends it, and how it is tightened when its end lands in
# the top quarter of the second sheet (the top margin included: smaller type and spacing win
# back about a sixth of a page). WeasyPrint takes the stylesheets given to ``render`` as *user*
# stylesheets, which the document's own (report.css) outrank whatever their selectors: hence
# "!important", without which only what report.css leaves unset was ever tightened.
PAGE_ONE_END = "report-page-one-end"
COMPACT_WHEN_OVER_BY = 0.25
COMPACT_CSS = """
.report-paper .report-page-one { font-size: 8.3pt !important; line-height: 1.25 !important; }
.report-paper .report-head { padding-bottom: 1mm !important; margin-bottom: 1.5mm !important; }
.report-paper .report-summary > dt,
.report-paper .report-summary > dd { margin-top: 0.8mm !important; }
.report-paper .report-measure { margin-bottom: 0.5mm !important; }
.report-paper .report-chart { margin: 1mm 0 0 !important; }
.report-paper .report-chart-svg { width: 62mm !important; }
.report-paper .report-chart figcaption { padding-top: 2mm !important; }
"""
# What to install when WeasyPrint cannot load Pango (Debian and Ubuntu package names).
SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the system libraries it needs, cannot be loaded on this machine."""


@functools.cache
def _weasyprint():
    try:
        import weasyprint
    except OSError as error:  # cffi could not open libpango / libgobject
        raise PdfUnavailable(
            f"WeasyPrint cannot load the system's Pango library ({error}). "
            f"Install it: apt-get install {SYSTEM_PACKAGES}"
        ) from None
    except ImportError as error:
        raise PdfUnavailable(f"WeasyPrint is not installed ({error}): run make install") from None
    return weasyprint


def available() -> bool:
    """Whether this machine can make PDFs (WeasyPrint and Pango load)."""
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def _static_path(url_path: str) -> Path | None:
    """The file behind a /static/... path: the source file (so an edit shows at once, even
    with an old collectstatic around), else the collected one (hashed names in production)."""
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    if not url_path.startswith(prefix):
        return None
    name = unquote(url_path[len(prefix) :])
    if not name or Path(name).is_absolute() or ".." in Path(name).parts:
        return None
    found = finders.find(name)
    if found:
        return Path(found)
    if settings.STATIC_ROOT:
        try:
            collected = Path(staticfiles_storage.path(name))
        except NotImplementedError:  # a storage without local files
            return None
        if collected.is_file():
            return collected
    return None


def _fetcher_class():
    weasyprint = _weasyprint()

    class StaticOnlyFetcher(weasyprint.URLFetcher):
        """Static files and data: URLs only; anything else is refused (WeasyPrint then leaves
        the image or stylesheet out and logs a warning)."""

        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            parts = urlsplit(url)
            internal = urlsplit(INTERNAL_BASE_URL)
            if (parts.scheme, parts.netloc) == (internal.scheme, internal.netloc):
                path = _static_path(parts.path)
                if path is not None:
                    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return weasyprint.urls.URLFetcherResponse(
                        url, path.read_bytes(), {"Content-Type": media_type}
                    )
            raise ValueError(f"not fetched for a report: {parts.scheme}://{parts.netloc}/...")

    return StaticOnlyFetcher


def _stylesheets(paper: str) -> list:
    weasyprint = _weasyprint()
    paged = _static_path("/" + settings.STATIC_URL.lstrip("/") + PAGED_CSS)
    if paged is None:
        raise RuntimeError(f"static file {PAGED_CSS} not found")
    size = "letter" if paper == Patient.PaperSize.LETTER else "A4"
    fetcher = _fetcher_class()()
    return [
        weasyprint.CSS(
            string=paged.read_text(encoding="utf-8"),
            base_url=INTERNAL_BASE_URL + settings.STATIC_URL.lstrip("/") + PAGED_CSS,
            url_fetcher=fetcher,
        ),
        weasyprint.CSS(string=f"@page {{ size: {size}; }}"),
    ]


def _page_one_overflow(document) -> float | None:
    """How far page 1's summary ran onto the next sheet, as a fraction of a page (0: it fits;
    None: the document has no page-1 end marker, or page 1 ran over more than one sheet)."""
    pages = document.pages
    if PAGE_ONE_END in pages[0].anchors:
        return 0.0
    if len(pages) > 1 and PAGE_ONE_END in pages[1].anchors:
        top = pages[1].anchors[PAGE_ONE_END][1]  # (left, top, right, bottom) in CSS px
        return top / pages[1].height
    return None


def write_pdf(
    html: str, *, paper: str = Patient.PaperSize.A4, base_url: str | None = None
) -> bytes:
    """Lay out ``html`` on A4 or Letter (``paper``: "a4" or "letter") with the paged-media
    stylesheet, and return the PDF. ``base_url`` resolves relative links (default: the
    internal address whose /static/ paths are the static files).

    Page 1 is the summary a doctor reads in a minute, on one sheet: when its end (the element
    ``#report-page-one-end``) lands near the top of the second sheet, the document is laid out
    again with page 1 a little tighter (COMPACT_CSS). A summary that runs far over stays on
    two sheets rather than shrinking into small print."""
    weasyprint = _weasyprint()
    with collector_paused():
        return _lay_out(weasyprint, html, paper, base_url)


# collector_paused: how many documents are being laid out in this process now, and whether the
# collector was on before the first of them. The collector is one per process: two PDFs made at
# once (threads of one server) must not turn it back on under each other, nor leave it off.
_pause_lock = threading.Lock()
_pauses = 0
_enabled_before = True


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off while one document is laid out. Laying out makes a few
    hundred thousand small objects that live until the PDF is written, and each collection
    walked them all again, over and over: about 0.2-0.5 s of the five-year PDF's ~2.5 s
    (docs/decisions.md, "Eighth session"). What is cyclic garbage is collected once the PDF
    is made; memory meanwhile grows by the garbage of the documents being made only.

    Nested and concurrent uses count: the collector goes back on (if it was on before) when
    the last of them ends."""
    global _pauses, _enabled_before
    with _pause_lock:
        if _pauses == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _enabled_before:
                gc.enable()


def _lay_out(weasyprint, html: str, paper: str, base_url: str | None) -> bytes:
    document = weasyprint.HTML(
        string=html,
        base_url=base_url or INTERNAL_BASE_URL,
        url_fetcher=_fetcher_class()(),
    )
    stylesheets = _stylesheets(paper)
    laid_out = document.render(stylesheets=stylesheets)
    overflow = _page_one_overflow(laid_out)
    if overflow is not None and 0 < overflow <= COMPACT_WHEN_OVER_BY:
        compact = document.render(stylesheets=[*stylesheets, weasyprint.CSS(string=COMPACT_CSS)])
        if _page_one_overflow(compact) == 0:
            laid_out = compact
    return laid_out.write_pdf()


def report_context(
    patient: Patient,
    since: dt.date,
    until: dt.date,
    sections: list[str],
    paper: str,
    made_at: dt.datetime | None = None,
) -> dict:
    """What every report template gets for paper: the diary, the period, the parts chosen (codes
    in the report's order, and with their titles), the paper, the local date it was made and
    the disclaimer."""
    made_at = made_at or timezone.now()
    chosen = report_sections.in_order(sections)
    labels = dict(report_sections.CHOICES)
    return {
        "patient": patient,
        "since": since,
        "until": until,
        "sections": chosen,
        "section_titles": [(code, labels[code]) for code in chosen],
        "paper": paper,
        "made_at": made_at,
        "made_on": timezone.localtime(made_at, patient.tz).date(),
        "disclaimer": DISCLAIMER,
        "for_pdf": True,
    }


def render(
    patient: Patient,
    since: dt.date,
    until: dt.date,
    sections: list[str],
    paper: str,
    *,
    template_name: str = TEMPLATE,
    context: dict | None = None,
    made_at: dt.datetime | None = None,
    base_url: str | None = None,
) -> bytes:
    """The diary's report for ``since``-``until`` (both included) as a PDF.

    The template gets :func:`report_context`, updated with ``context`` (the report's own
    data, built by its caller).
    """
    values = report_context(patient, since, until, sections, paper, made_at) | (context or {})
    html = render_to_string(template_name, values)
    return write_pdf(html, paper=paper, base_url=base_url)
