"""URLs: public pages at the root, staff pages under /staff/, the engine's API under /api/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from deployments import fairness_views
from deployments.urls import public_urlpatterns as deployment_public
from deployments.urls import staff_urlpatterns as deployment_staff
from legal import evaluation_views
from legal.urls import public_urlpatterns as legal_public
from legal.urls import staff_urlpatterns as legal_staff
from matching.urls import api_urlpatterns as matching_api
from matching.urls import staff_urlpatterns as matching_staff

# Issue 5: the engine's evaluation reports (staff) and the exposure by group (public).
evaluation_staff = [
    path("evaluations/", evaluation_views.evaluation_list, name="evaluation_list"),
    path("evaluations/<int:pk>/", evaluation_views.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:pk>/pdf/", evaluation_views.evaluation_pdf, name="evaluation_pdf"),
    path(
        "evaluations/<int:pk>/attach/",
        evaluation_views.evaluation_attach,
        name="evaluation_attach",
    ),
]
fairness_public = [path("fairness/", fairness_views.fairness, name="fairness")]

staff_urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="staff/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *legal_staff,
    *evaluation_staff,
    # Before the register's own: its catch-all deployments/<ref>/<action>/ would take these.
    *matching_staff,
    *deployment_staff,
]

urlpatterns = [
    path("staff/", include((staff_urlpatterns, "staff"))),
    path("api/v1/", include((matching_api, "api"))),
    path("admin/", admin.site.urls),
    path("", include((deployment_public + legal_public + fairness_public, "public"))),
]
