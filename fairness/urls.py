"""The public fairness page is mounted by the public record (`public.urls`), which serves it
through its page cache; this app adds no URL of its own at the root."""

from django.urls import URLPattern

public_urlpatterns: list[URLPattern] = []
