"""The public fairness page, mounted at the root (namespace "public")."""

from django.urls import path

from . import views

public_urlpatterns = [path("fairness/", views.fairness, name="fairness")]
