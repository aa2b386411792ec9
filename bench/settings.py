"""The settings ``make bench`` serves with: the project's own, plus one switch for first renders.

A request with the header ``X-Bench-Render: first`` is served as the first render after a change
to the diary (``patients.caching.first_render``): every fragment cached under the diary's data
version is built again and stored, exactly as on the first visit after any write. Caches that no
diary write touches (the page header per session and page, the empty quick-log buttons per
language) are used as they would be then. Every request, the bare view's included, goes through
the same middleware, so the ratios compare like with like.
"""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

MIDDLEWARE = ["bench.middleware.FirstRenderMiddleware", *MIDDLEWARE]
