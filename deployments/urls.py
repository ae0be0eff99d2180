"""Staff pages of the register, mounted under /staff/ (namespace "staff") by oversight/urls.py."""

from django.urls import path

from . import views

staff_urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("profile/", views.staff_profile, name="profile"),
    path("deployments/", views.deployment_list, name="deployment_list"),
    path("deployments/new/", views.deployment_create, name="deployment_create"),
    path("deployments/<str:reference>/", views.deployment_detail, name="deployment_detail"),
    path("deployments/<str:reference>/edit/", views.deployment_edit, name="deployment_edit"),
    path(
        "deployments/<str:reference>/engagement/add/",
        views.engagement_add,
        name="engagement_add",
    ),
    path(
        "deployments/<str:reference>/engagement/<int:meeting_id>/remove/",
        views.engagement_remove,
        name="engagement_remove",
    ),
    path(
        "deployments/<str:reference>/<slug:action>/",
        views.deployment_action,
        name="deployment_action",
    ),
]
