from django.urls import path

from . import views

staff_urlpatterns = [
    path("legal/", views.document_list, name="legal_documents"),
    path("legal/<slug:kind>/new/", views.version_create, name="legal_version_create"),
    path("legal/versions/<int:pk>/", views.version_edit, name="legal_version_edit"),
    path("legal/versions/<int:pk>/publish/", views.version_publish, name="legal_version_publish"),
    path(
        "legal/versions/<int:pk>/withdraw/", views.version_withdraw, name="legal_version_withdraw"
    ),
]

public_urlpatterns = [
    path("legal/", views.public_index, name="legal_index"),
    path("legal/<slug:kind>/", views.public_document, name="legal_document"),
    path("legal/<slug:kind>/v<int:number>/", views.public_version, name="legal_version"),
]
