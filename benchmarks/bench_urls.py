"""The project's URLs plus the bare view bench_public.py compares every page with."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from oversight.urls import urlpatterns as project_urlpatterns


def ok(request: HttpRequest) -> HttpResponse:
    """Answers "ok" through the same server and middleware as every page: the ceiling."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/ok/", ok), *project_urlpatterns]
