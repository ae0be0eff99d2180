"""The public record's pages, mounted at the root (namespace "public"), and the moderation
queue, mounted under /staff/ (namespace "staff"), by oversight/urls.py."""

from django.urls import path

from core.public_changes import CENSUS, LEGAL, REGISTER
from fairness import views as fairness_views

from . import legal_views, moderation_views, views
from .cache import cached_page
from .feeds import TrialsFeed

public_urlpatterns = [
    path("", views.home, name="home"),
    path("trials/", views.trial_list, name="trial_list"),
    path("trials/table/", views.trial_record_table, name="trial_record_table"),
    path("trials/<str:reference>/", views.trial_detail, name="trial_detail"),
    path("trials/<str:reference>/report.pdf", views.trial_report_pdf, name="trial_report_pdf"),
    path("reports/", views.annual_report_index, name="annual_report_index"),
    path("reports/<int:year>/", views.annual_report_page, name="annual_report"),
    path("reports/<int:year>/report.pdf", views.annual_report_pdf, name="annual_report_pdf"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("algorithmic-transparency/", views.transparency_record, name="transparency"),
    path(
        "open-data/algorithmic-transparency.json",
        views.transparency_json,
        name="transparency_json",
    ),
    path("open-data/ai-act-registration.json", views.ai_act_json, name="ai_act_json"),
    path(
        "open-data/schemas/<slug:name>.schema.json",
        views.transparency_schema,
        name="transparency_schema",
    ),
    path("open-data/", views.open_data_index, name="open_data"),
    path("open-data/deployments.csv", views.open_data_csv, name="open_data_csv"),
    path("open-data/deployments.json", views.open_data_json, name="open_data_json"),
    path("open-data/schema.json", views.open_data_schema, name="open_data_schema"),
    path("feed.atom", cached_page(views.TRIALS)(TrialsFeed()), name="feed"),
    # The fairness app's page, cached here: the cache is the public record's (it sits above).
    path(
        "fairness/",
        cached_page((REGISTER, CENSUS, LEGAL), params=("page",))(fairness_views.fairness),
        name="fairness",
    ),
    path("how-it-works/", views.how_it_works, name="how_it_works"),
    path("how-it-works/how-it-works.pdf", views.how_it_works_pdf, name="how_it_works_pdf"),
    path("legal/", legal_views.public_index, name="legal_index"),
    path("legal/<slug:kind>/", legal_views.public_document, name="legal_document"),
    path("legal/<slug:kind>/v<int:number>/", legal_views.public_version, name="legal_version"),
    path(
        "legal/<slug:kind>/v<int:number>/text.txt",
        legal_views.public_version_text,
        name="legal_version_text",
    ),
]

staff_urlpatterns = [
    path("moderation/", moderation_views.queue, name="moderation_queue"),
    path("moderation/<int:pk>/publish/", moderation_views.publish, name="moderation_publish"),
    path("moderation/<int:pk>/remove/", moderation_views.remove, name="moderation_remove"),
]
