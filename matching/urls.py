"""URLs of the engine: staff pages (mounted under /staff/, namespace "staff") and the frames
API (mounted under /api/v1/, namespace "api") by oversight/urls.py."""

from django.urls import path, re_path

from . import api, views, views_cameras

staff_urlpatterns = [
    path("deployments/<str:reference>/watchlist/", views.watchlist, name="watchlist"),
    path(
        "deployments/<str:reference>/watchlist/<int:pk>/image",
        views.watchlist_entry_image,
        name="watchlist_entry_image",
    ),
    path(
        "deployments/<str:reference>/watchlist/<int:pk>/remove/",
        views.watchlist_entry_remove,
        name="watchlist_entry_remove",
    ),
    path("deployments/<str:reference>/cameras/", views_cameras.cameras, name="cameras"),
    path(
        "deployments/<str:reference>/cameras/<int:pk>/remove/",
        views_cameras.camera_remove,
        name="camera_remove",
    ),
    path("console/", views.console_index, name="console_index"),
    path("deployments/<str:reference>/console/", views.console, name="console"),
    path(
        "deployments/<str:reference>/console/alerts/",
        views.console_alerts,
        name="console_alerts",
    ),
    path("deployments/<str:reference>/runs/start/", views.run_start, name="run_start"),
    path("runs/<int:pk>/stop/", views.run_stop, name="run_stop"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/crop", views.alert_crop, name="alert_crop"),
]

api_urlpatterns = [
    path("runs/<int:run_id>/frames", api.run_frames, name="run_frames"),
    # Last: every other address under the API answers 404 as JSON, not an HTML page.
    re_path(r"^.*$", api.not_found, name="not_found"),
]
