"""``X-Bench-Render: first`` serves a request as the first render after a change (bench only)."""

from patients.caching import first_render

HEADER = "HTTP_X_BENCH_RENDER"


class FirstRenderMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get(HEADER) == "first":
            with first_render():
                return self.get_response(request)
        return self.get_response(request)
