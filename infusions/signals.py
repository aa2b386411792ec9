"""Signals other apps listen to (layers import downward only: infusions cannot call the diary).

``infusion_recorded`` is sent once an infusion *and all its rows* (lots, rates, premedication,
reactions) are saved and courses regrouped, after it was deleted (``deleted=True``; deletes are
soft: the row stays, hidden, and every query of the default manager leaves it out) or once it
was restored (``deleted=False``), always by :mod:`infusions.records`. Django's ``post_save`` for
``Infusion`` fires before the reactions exist, so the red-flag check of reactions listens to
this one instead.
"""

from django.dispatch import Signal

# kwargs: patient, infusion, deleted (bool), previous_date (the date before an edit, or None)
infusion_recorded = Signal()

# kwargs: patient. Sent once a plan was saved, ended, deleted or restored and the infusions were
# relinked to the plan in force and the courses regrouped (a plan's course length decides whether
# a late day joins its course), so the diary can relink its entries' course and cycle day.
plans_changed = Signal()
