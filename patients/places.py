"""Real places for the diary settings: countries, and the time zones people live in.

Both lists come from IANA's time zone database as the ``tzdata`` package ships it (zone.tab,
iso3166.tab and tzdata.zi), so they follow tzdata updates with no copy in this repository.
Old names ("US/Pacific", "GB-Eire") and technical ones ("Factory", "Etc/GMT+3") are not offered,
but a diary that already has one keeps working: ``canonical_zone`` finds the real place behind it.
"""

from __future__ import annotations

import functools
import unicodedata
import zoneinfo
from importlib import resources
from pathlib import Path

UTC = "UTC"

# iso3166.tab keeps names short and neutral; a few read better as people say them.
_COUNTRY_NAMES = {"GB": "United Kingdom"}


def _read(name: str) -> str:
    """A data file of the time zone database: from the tzdata package, else the system's."""
    try:
        return resources.files("tzdata").joinpath("zoneinfo").joinpath(name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        for directory in zoneinfo.TZPATH:
            path = Path(directory) / name
            if path.exists():
                return path.read_text("utf-8")
        raise


def _rows(name: str) -> list[list[str]]:
    return [
        line.split("\t") for line in _read(name).splitlines() if line and not line.startswith("#")
    ]


@functools.cache
def zone_countries() -> dict[str, str]:
    """Time zone -> the country it is in (zone.tab lists each zone once, with one country)."""
    return {row[2]: row[0] for row in _rows("zone.tab")}


@functools.cache
def listed_zones() -> frozenset[str]:
    """The zones offered in the lists: places where people live, plus UTC."""
    available = zoneinfo.available_timezones()
    return frozenset(zone for zone in zone_countries() if zone in available) | {UTC}


@functools.cache
def _links() -> dict[str, str]:
    """Old or alternative name -> the zone it is a link to (tzdata.zi's "L target name")."""
    links = {}
    for line in _read("tzdata.zi").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    return links


@functools.cache
def canonical_zone(name: str) -> str | None:
    """The listed zone for ``name`` (itself, or the real place an old name stands for)."""
    listed = listed_zones()
    if name in listed:
        return name
    links = _links()
    target, seen = name, set()
    while target in links and target not in seen:  # follow a chain of links to the zone
        seen.add(target)
        target = links[target]
    if target in listed:
        return target
    # The target may itself be unlisted (e.g. "Etc/UTC") while another of its names is listed.
    namesakes = sorted(alias for alias, to in links.items() if to == target and alias in listed)
    return namesakes[0] if namesakes else None


def country_for_zone(zone: str) -> str:
    """The 2-letter country of a time zone, or "" (UTC, or a zone shared by no one country)."""
    return zone_countries().get(canonical_zone(zone) or "", "")


def zone_label(zone: str) -> str:
    """A readable name that keeps the id recognisable.

    "Europe/London" -> "Europe — London";
    "America/Argentina/Salta" -> "America — Salta (Argentina)".
    """
    parts = zone.replace("_", " ").split("/")
    if len(parts) == 1:
        return parts[0]
    label = f"{parts[0]} — {parts[-1]}"
    if len(parts) > 2:
        label += f" ({', '.join(parts[1:-1])})"
    return label


def _sort_key(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@functools.cache
def time_zone_choices() -> list:
    """UTC first, then the places grouped by region (optgroups), each sorted by name."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for zone in listed_zones() - {UTC}:
        regions.setdefault(zone.split("/")[0], []).append((zone, zone_label(zone)))
    choices: list = [(UTC, UTC)]
    for region in sorted(regions):
        choices.append((region, sorted(regions[region], key=lambda c: _sort_key(c[1]))))
    return choices


@functools.cache
def country_names() -> dict[str, str]:
    return {row[0]: _COUNTRY_NAMES.get(row[0], row[1]) for row in _rows("iso3166.tab")}


@functools.cache
def country_choices() -> list[tuple[str, str]]:
    names = country_names()
    return sorted(names.items(), key=lambda item: _sort_key(item[1]))


# --- Paper for the doctor's report ---------------------------------------------------------------

PAPER_A4 = "a4"
PAPER_LETTER = "letter"
# Source: Unicode CLDR, common/supplemental/supplementalData.xml, <measurementData>:
#   <paperSize type="A4" territories="001"/>  (the world)
#   <paperSize type="US-Letter" territories="BZ CA CL CO CR GT MX NI PA PH PR SV US VE"/>
# (UTS #35 Part 6, "Measurement System Data"). Every other country prints on A4.
LETTER_COUNTRIES = frozenset(
    ["BZ", "CA", "CL", "CO", "CR", "GT", "MX", "NI", "PA", "PH", "PR", "SV", "US", "VE"]
)


def paper_size_for(country: str) -> str:
    """The paper a report is printed on where ``country`` (2 letters) is: "letter" or "a4"."""
    return PAPER_LETTER if (country or "").upper() in LETTER_COUNTRIES else PAPER_A4
