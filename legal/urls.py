"""Staff pages of the legal register, mounted under /staff/ (namespace "staff")."""

from django.urls import path

from . import evaluation_views, views

staff_urlpatterns = [
    path("legal/", views.document_list, name="legal_documents"),
    path("legal/<slug:kind>/new/", views.version_create, name="legal_version_create"),
    path("legal/versions/<int:pk>/", views.version_edit, name="legal_version_edit"),
    path("legal/versions/<int:pk>/publish/", views.version_publish, name="legal_version_publish"),
    path(
        "legal/versions/<int:pk>/withdraw/", views.version_withdraw, name="legal_version_withdraw"
    ),
    # The engine's evaluation reports, which a legal officer attaches to the equality impact
    # assessment.
    path("evaluations/", evaluation_views.evaluation_list, name="evaluation_list"),
    path("evaluations/<int:pk>/", evaluation_views.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:pk>/pdf/", evaluation_views.evaluation_pdf, name="evaluation_pdf"),
    path(
        "evaluations/<int:pk>/attach/",
        evaluation_views.evaluation_attach,
        name="evaluation_attach",
    ),
]
