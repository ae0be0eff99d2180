"""The public record's pages, mounted at the root (namespace "public"), and the moderation
queue, mounted under /staff/ (namespace "staff"), by oversight/urls.py."""

from django.urls import path, register_converter

from core.public_changes import CENSUS, LEGAL, REGISTER
from fairness import views as fairness_views

from . import audit_views, legal_views, moderation_views, subscription_views, views
from .cache import cached_page
from .feeds import TrialsFeed


class ReportYearConverter:
    """A year an annual report can be about: four digits, and one whose whole span a date
    lookup can bound (`starts_at__year=9999` needs 1 January 10000, which Python cannot
    represent). Anything else matches no URL, so it is a 404, never a 500."""

    regex = "[0-9]{4}"
    FIRST, LAST = 1900, 9998

    def to_python(self, value: str) -> int:
        year = int(value)
        if not self.FIRST <= year <= self.LAST:
            raise ValueError(f"no annual report can cover {year}")
        return year

    def to_url(self, value: int) -> str:
        return f"{int(value):04d}"


register_converter(ReportYearConverter, "report_year")

public_urlpatterns = [
    path("", views.home, name="home"),
    path("trials/", views.trial_list, name="trial_list"),
    path("trials/table/", views.trial_record_table, name="trial_record_table"),
    path("trials/<str:reference>/", views.trial_detail, name="trial_detail"),
    path("trials/<str:reference>/report.pdf", views.trial_report_pdf, name="trial_report_pdf"),
    path("reports/", views.annual_report_index, name="annual_report_index"),
    path("reports/<report_year:year>/", views.annual_report_page, name="annual_report"),
    path(
        "reports/<report_year:year>/report.pdf", views.annual_report_pdf, name="annual_report_pdf"
    ),
    path("ethics-panel/", views.ethics_panel, name="ethics_panel"),
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
    # The audit trail's signed checkpoints and its hash-only chain (public/audit_views.py).
    path("open-data/audit/", audit_views.audit_page, name="audit"),
    path(
        "open-data/audit-checkpoints.json",
        audit_views.audit_checkpoints_json,
        name="audit_checkpoints_json",
    ),
    path("open-data/audit-chain.json", audit_views.audit_chain_json, name="audit_chain_json"),
    path(
        "open-data/verify_checkpoints.py",
        audit_views.audit_verify_script,
        name="audit_verify_script",
    ),
    # Notice subscriptions by email (public/subscription_views.py).
    path("subscribe/", subscription_views.subscribe, name="subscribe"),
    path(
        "subscribe/check-your-email/",
        subscription_views.subscription_sent,
        name="subscription_sent",
    ),
    path(
        "subscribe/confirm/<str:token>/",
        subscription_views.subscription_confirm,
        name="subscription_confirm",
    ),
    path("unsubscribe/<str:token>/", subscription_views.unsubscribe, name="unsubscribe"),
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
