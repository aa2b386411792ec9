"""The timeline's days of each side effect (``reports.views._effect_days``) are the days of
``reports.cycles.daily_severity``: the view counts an entry without later readings itself (one
severity from its first day to its last) rather than building its day-by-day dict, and must
not drift from the rule that the cycle view and the report follow."""

import datetime as dt
import random
import zoneinfo

from reports import cycles
from reports.views import _effect_days

ZONES = [zoneinfo.ZoneInfo(name) for name in ("Europe/Paris", "America/Santiago", "UTC")]
CODES = ["headache", "fatigue", "other"]
WORDS = ["Sore arm", "sore  ARM", "Aching legs"]


def _entry(rng: random.Random, pk: int) -> cycles.SideEffectRow:
    tz = rng.choice(ZONES)
    onset = dt.datetime(2024, 3, 1, tzinfo=tz) + dt.timedelta(minutes=rng.randrange(60 * 24 * 60))
    if rng.random() < 0.2:  # ended at local midnight: that day is not touched
        start = (onset + dt.timedelta(days=rng.randrange(1, 4))).date()
        ended = dt.datetime.combine(start, dt.time(0), tzinfo=tz)
    else:
        ended = onset + dt.timedelta(minutes=rng.randrange(60 * 24 * 5))
    readings = sorted(
        (onset + dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 4)), rng.randrange(0, 11))
        for _ in range(rng.choice([0, 0, 0, 1, 3]))
    )
    still_open = rng.random() < 0.15
    if not still_open and readings:
        ended = max(ended, readings[-1][0])
    symptom = rng.choice(CODES)
    return cycles.SideEffectRow(
        pk,
        symptom,
        rng.choice(WORDS) if symptom == "other" else "",
        rng.choice([0, 0, 3, 5, 8]),  # 0: not felt at first
        rng.choice([None, 0, 6]),
        onset,
        None if still_open else ended,
        onset + dt.timedelta(hours=30) if still_open and rng.random() < 0.5 else None,
        1,
        None,
        None,
        None,
        tz,
        readings,
    ).settle()


def _by_daily_severity(groups, since, until):
    by_effect = {}
    for rows in groups:
        for entry in rows:
            if entry.worst <= 0:
                continue
            label, days = by_effect.setdefault(cycles.symptom_key(entry), (str(entry.label), {}))
            for day, severity in cycles.daily_severity(entry).items():
                if severity > 0 and since <= day <= until:
                    days[day] = max(days.get(day, 0), severity)
    return by_effect


def test_the_timeline_days_are_those_of_daily_severity():
    rng = random.Random(9)
    for _round in range(40):
        groups = [[_entry(rng, n * 100 + i) for i in range(rng.randrange(0, 12))] for n in range(4)]
        since = dt.date(2024, 3, 1) + dt.timedelta(days=rng.randrange(0, 40))
        until = since + dt.timedelta(days=rng.randrange(0, 40))
        expected = _by_daily_severity(groups, since, until)
        # Some entries have their days worked out already (the cycle view asked first).
        for rows in groups:
            for entry in rows:
                entry.days = None
                if rng.random() < 0.3:
                    cycles.daily_severity(entry)
        found = _effect_days(groups, since, until)
        assert list(found) == list(expected)  # the same side effects, in the same order
        for key, (label, days) in expected.items():
            assert found[key][0] == label
            assert found[key][1] == days
