"""Emergency (ambulance) numbers by country, to suggest one the diary's owner then confirms.

Only well-known, long-standing numbers are listed; a country missing here gets no suggestion,
never a guess. The owner's own number (Patient.emergency_number) always wins over this table.

Sources:
- EU: European Commission, "112 - the European emergency number": 112 reaches emergency
  services free of charge in every EU member state (Universal Service Directive 2002/22/EC,
  now the European Electronic Communications Code, Directive (EU) 2018/1972, art. 109).
- United Kingdom, Crown dependencies: 999 (112 also works) - NHS, "When to call 999".
- United States, Canada, Mexico, Philippines: 911 (911.gov; Mexico since 2017, Philippines
  since 2016).
- Australia: 000 (triplezero.gov.au). New Zealand: 111 (NZ Police, "Call 111").
- Switzerland: 144 for an ambulance (112 reaches the police). Norway: 113 for medical
  emergencies (112 is the police).
- Japan, South Korea, Taiwan: 119 (fire and ambulance). China: 120 (ambulance).
- India: 112 (Emergency Response Support System, Ministry of Home Affairs).
- Hong Kong, Malaysia: 999. Singapore: 995 (SCDF ambulance). Israel: 101 (Magen David Adom).
  Brazil: 192 (SAMU). Turkey: 112.
"""

from __future__ import annotations

# Works from mobile phones across the EU and is routed to the local emergency number on most
# GSM networks elsewhere: what to tell someone whose own number is not set.
FALLBACK = "112"

_EU_112 = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE") + (
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
)

NUMBERS: dict[str, str] = {
    **dict.fromkeys(_EU_112, "112"),  # Ireland: 999 works too
    "IS": "112",
    "GB": "999",
    "GG": "999",
    "JE": "999",
    "IM": "999",
    "US": "911",
    "PR": "911",
    "CA": "911",
    "MX": "911",
    "PH": "911",
    "AU": "000",
    "NZ": "111",
    "CH": "144",
    "NO": "113",
    "JP": "119",
    "KR": "119",
    "TW": "119",
    "CN": "120",
    "IN": "112",
    "HK": "999",
    "MY": "999",
    "SG": "995",
    "IL": "101",
    "BR": "192",
    "TR": "112",
}


def number_for(country_code: str | None) -> str | None:
    """The ambulance number for a 2-letter ISO country code, or None if we do not know it."""
    if not country_code:
        return None
    return NUMBERS.get(country_code.strip().upper())
