from django.urls import path

from . import moderation_views, public_views, views
from .feeds import TrialsFeed

staff_urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("deployments/", views.deployment_list, name="deployment_list"),
    path("deployments/new/", views.deployment_create, name="deployment_create"),
    path("deployments/<str:reference>/", views.deployment_detail, name="deployment_detail"),
    path("deployments/<str:reference>/edit/", views.deployment_edit, name="deployment_edit"),
    path(
        "deployments/<str:reference>/<slug:action>/",
        views.deployment_action,
        name="deployment_action",
    ),
    path("moderation/", moderation_views.queue, name="moderation_queue"),
    path("moderation/<int:pk>/publish/", moderation_views.publish, name="moderation_publish"),
    path("moderation/<int:pk>/remove/", moderation_views.remove, name="moderation_remove"),
]

public_urlpatterns = [
    path("", public_views.home, name="home"),
    path("trials/", public_views.trial_list, name="trial_list"),
    path("trials/<str:reference>/", public_views.trial_detail, name="trial_detail"),
    path(
        "trials/<str:reference>/report.pdf",
        public_views.trial_report_pdf,
        name="trial_report_pdf",
    ),
    path("reports/", public_views.annual_report_index, name="annual_report_index"),
    path("reports/<int:year>/", public_views.annual_report_page, name="annual_report"),
    path("reports/<int:year>/report.pdf", public_views.annual_report_pdf, name="annual_report_pdf"),
    path("open-data/", public_views.open_data_index, name="open_data"),
    path("open-data/deployments.csv", public_views.open_data_csv, name="open_data_csv"),
    path("open-data/deployments.json", public_views.open_data_json, name="open_data_json"),
    path("open-data/schema.json", public_views.open_data_schema, name="open_data_schema"),
    path("feed.atom", TrialsFeed(), name="feed"),
]
