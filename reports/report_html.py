"""The report's long lists written in Python (``templates/reports/_document.html``).

Over five years the report lists 65 cycles, some 130 infusion days and every side effect of every
course; the template language took about 60 ms to loop over them, most of the report's render
(docs/decisions.md, "Speed"). These functions write exactly what those template loops wrote:
the same markup and whitespace, every value escaped as autoescape does (``{% translate %}`` text
escaped, ``{% blocktranslate %}`` text not, its values escaped), dates as ``|date`` and ``|time``
write them. The template keeps everything around the loops (headings, table heads, empty
messages of a section), so the page, the print and the PDF still share one document. The
every-infusion-day list has had no template loop since it stopped being a table (its wording and
escaping are tested directly, in tests/test_report_html.py).
"""

from __future__ import annotations

from html import escape as html_escape

from django.template.defaultfilters import linebreaksbr, truncatechars
from django.utils import formats
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from diary.models import Note
from infusions.models import Infusion
from patients.formats import day_month, day_month_year


def esc(value) -> str:
    """``{{ value }}`` under autoescape: safe strings as they are, the rest escaped (also for
    the trends page's parts written in Python)."""
    if isinstance(value, SafeData):
        return value
    # django.utils.html.escape without its keep_lazy wrapper (~0.7 us a call, ~160 calls a
    # trends page): the same html.escape, the same SafeString.
    return SafeString(html_escape(str(value)))


def count_text(n: int) -> str:
    """An int as ``{{ n }}`` renders it."""
    return str(n) if -1000 < n < 1000 else str(formats.localize(n))


def _time(value) -> str:
    """``|time:"H:i"`` of a time of day."""
    return f"{value:%H:%M}"


def _labels(model, field: str) -> dict:
    """A choice field's labels by stored value, translated: ``get_FOO_display()`` without its
    cost per call (it hashes every choice's lazy label each time, ~0.1 ms)."""
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


def sections(document) -> dict[str, str]:
    """The rows of each long list of ``document`` (a ``reports.document.ReportDocument``) that
    its parts include, by name (``cycle_rows``, ``infusion_rows``, ``course_effects``,
    ``notes``), as safe HTML."""
    found = {}
    if document.cycle_rows:
        found["cycle_rows"] = cycle_rows(document)
    if document.infusion_rows:
        found["infusion_rows"] = infusion_rows(document.infusion_rows)
    found["course_effects"] = course_effects(document.course_effects)
    if document.notes:
        found["notes"] = notes(document.notes)
    # Every value above is escaped: the HTML goes into the template as it is.
    return {name: mark_safe(html) for name, html in found.items()}  # noqa: S308


_CYCLE_ROW = (
    "\n          <tr>"
    '\n            <th scope="row">{start}<br><span class="report-small">'
    "{length}{before}</span></th>"
    '\n            <td data-label="{w_given}">{given}<br><span class="report-small">'
    "{w_lots} {lots}; {w_rate} {rate}; {w_premed} {premedication}</span></td>"
    '\n            <td data-label="{w_effects}">{effects}{more}</td>'
    "\n            {measure}"
    "\n          </tr>"
    "\n        "
)
_CYCLE_MEASURE = (
    '<td data-label="{w_measure}">{reading}</td><td data-label="{w_wore_off}">{wear_off}</td>'
)


def cycle_rows(document) -> str:
    """``doc.cycle_rows`` as the rows of the per-cycle table."""
    words = {
        "w_given": esc(_("Given")),
        "w_effects": esc(_("Side effects (worst, how long)")),
        "w_lots": esc(_("lots")),
        "w_rate": esc(_("highest rate")),
        "w_premed": esc(_("premedication")),
    }
    w_wore_off = esc(_("Wore off"))
    w_none = esc(_("none logged"))
    before_period = "<br>" + esc(_("course before the period"))
    current = esc(_("current cycle"))
    w_measure = ""
    if document.main_label:
        w_measure = _("%(measure)s: before, best") % {"measure": esc(document.main_label)}
    parts = []
    for row in document.cycle_rows:
        cycle = row.cycle
        if cycle.cycle_end:
            length = _("to %(end)s (%(days)s days)") % {
                "end": esc(day_month(cycle.cycle_end)),
                "days": esc(count_text(cycle.length_days)),
            }
        else:
            length = current
        effects = "<br>".join(esc(effect) for effect in row.side_effects) or w_none
        more = ""
        if row.side_effects_more:
            n = row.side_effects_more
            more = '<br><span class="report-small">{}</span>'.format(
                ngettext("and %(n)s more", "and %(n)s more", n) % {"n": count_text(n)}
            )
        measure = ""
        if document.main_label:
            if row.few_readings:
                reading = "{}; {}".format(
                    _("before %(before)s") % {"before": esc(row.before)}, esc(row.best)
                )
            else:
                reading = f"{esc(row.before)} → {esc(row.best)}"
            measure = _CYCLE_MEASURE.format(
                w_measure=w_measure,
                reading=reading,
                w_wore_off=w_wore_off,
                wear_off=esc(row.wear_off),
            )
        parts.append(
            _CYCLE_ROW.format(
                start=esc(day_month_year(cycle.start_date)),
                length=length,
                before="" if cycle.course_in_period else before_period,
                given=esc(row.given),
                lots=esc(row.lots),
                rate=esc(row.rate),
                premedication=esc(row.premedication),
                effects=effects,
                more=more,
                measure=measure,
                **words,
            )
        )
    return "".join(parts)


def _sentence(text: str) -> str:
    """``text`` ended by a full stop, unless typed words already end it (a nurse "Anna B.")."""
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def infusion_rows(rows) -> str:
    """``doc.infusion_rows`` as the items of the every-infusion-day list: one item a day, always
    in the same order (day and times; product, dose, rate; lots; premedication; place and
    nurse; hydration; what happened during it, then the notes), what was not recorded said so.
    A list, not the table it once was: five years hold some 130 days, and WeasyPrint lays out
    table cells and forced line breaks at a cost that made the five-year PDF miss its 2 s
    (docs/decisions.md, "Eighth session")."""
    w_premed = esc(_("premedication"))
    w_nurse = esc(_("nurse"))
    w_hydration = esc(_("hydration"))
    w_notes = esc(_("Notes:"))
    w_during = esc(_("During the infusion:"))
    no_lot = esc(_("lot not recorded"))
    no_premedication = esc(_("none recorded"))
    no_rate = esc(_("rate not recorded"))
    nothing = esc(_("nothing logged"))
    sites = _labels(Infusion, "site")
    parts = []
    for row in rows:
        infusion = row.infusion
        times = ""
        if infusion.start_time:
            end = f"–{_time(infusion.end_time)}" if infusion.end_time else ""
            times = f", {_time(infusion.start_time)}{end}"
        elif infusion.end_time:
            times = ", " + esc(_("until %(time)s") % {"time": _time(infusion.end_time)})
        rate = esc(row.rate) if row.rate else no_rate
        given = [f"{esc(infusion.product)}, {esc(row.dose)}, {rate}"]
        if row.lots:
            w_lots = esc(ngettext("lot", "lots", len(row.lots)))
            given.append(f"{w_lots} {', '.join(esc(lot) for lot in row.lots)}")
        else:
            given.append(no_lot)
        premedication = ", ".join(esc(p) for p in row.premedication) or no_premedication
        given.append(f"{w_premed} {premedication}")
        place = [esc(sites.get(infusion.site, infusion.site))] if infusion.site else []
        if infusion.nurse:
            place.append(f"{w_nurse} {esc(infusion.nurse)}")
        if place:
            given.append(", ".join(place))
        if infusion.hydration:
            given.append(f"{w_hydration} {esc(infusion.hydration)}")
        during = "; ".join(esc(r) for r in row.reactions) or nothing
        notes = ""
        if infusion.notes:
            # Labelled: after "nothing logged", a note about how it went is not a reaction.
            shown = esc(truncatechars(" ".join(infusion.notes.split()), 200))
            notes = f' <span class="report-small">{w_notes} {shown}</span>'
        parts.append(
            f"\n        <li><strong>{esc(day_month_year(infusion.date))}</strong>{times}: "
            f"{_sentence('; '.join(given))} {w_during} {_sentence(during)}{notes}</li>\n      "
        )
    return "".join(parts)


def course_effects(courses) -> str:
    """``doc.course_effects`` as the items of the side-effects-per-course list (or its one
    item saying there is no course)."""
    if not courses:
        return "\n    <li>{}</li>\n  ".format(esc(_("No course in this period.")))
    not_ended = esc(_("not marked as ended"))
    no_effects = esc(_("no side effects logged."))
    # Translated once here, not once per line: five years list some 400 lines.
    in_period = _("After the course of %(date)s:")
    before_period = _("After the course of %(date)s (begun before this period; what began in it):")
    until_day = _("until day %(day)s")
    counted: dict[int, str] = {}
    parts = []
    for course in courses:
        cycle = course.cycle
        date = {"date": esc(day_month_year(cycle.start_date))}
        head = (in_period if cycle.course_in_period else before_period) % date
        lines = course.lines
        items = []
        for i, (effect, lasted) in enumerate(lines):
            n = effect.entries
            entries = counted.get(n)
            if entries is None:
                entries = counted[n] = ngettext("%(n)s entry", "%(n)s entries", n) % {
                    "n": count_text(n)
                }
            if effect.gone_by_day is not None:
                tail = ", " + until_day % {"day": esc(count_text(effect.gone_by_day))}
            elif effect.longest_open and effect.hours < 1:
                tail = ""  # "no end logged" says it
            else:
                tail = ", " + not_ended
            end = "; " if i < len(lines) - 1 else "."
            items.append(
                f"{esc(effect.label)} <strong>{esc(effect.worst)}</strong> "
                f"({entries}, {esc(lasted)}{tail}){end}"
            )
        parts.append(
            f"\n    <li><strong>{head}</strong>\n      {''.join(items) or no_effects}</li>\n  "
        )
    return "".join(parts)


def notes(found) -> str:
    """``doc.notes`` (improvement notes) as the items of their list."""
    compared = esc(_("compared with before the infusion"))
    ratings = _labels(Note, "rating")
    parts = []
    for note in found:
        day = ""
        if note.day_of_cycle is not None:
            day = " ({})".format(
                _("day %(day)s of the cycle") % {"day": esc(count_text(note.day_of_cycle))}
            )
        rating = ""
        if note.rating is not None:
            word = esc(str(ratings.get(note.rating, note.rating)).lower())
            rating = f": {compared} <strong>{word}</strong>"
        parts.append(
            f"\n        <li><strong>{esc(day_month_year(note.written_at))}</strong>{day}{rating}. "
            f"{linebreaksbr(note.text, autoescape=True)} "
            f'<span class="report-small">– {esc(note.author)}</span></li>\n      '
        )
    return "".join(parts)
