"""Staff sign-in URLs (under /staff/) and the passkey API (under /staff/webauthn/)."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn_views

from . import views

staff_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("second-factor/", views.second_factor_verify, name="second_factor_verify"),
    path("second-factor/set-up/", views.second_factor_enrol, name="second_factor_enrol"),
    path("account/", views.account, name="account"),
    path("account/backup-codes/", views.backup_codes, name="second_factor_backup_codes"),
    path(
        "account/factors/<path:persistent_id>/remove/",
        views.factor_remove,
        name="factor_remove",
    ),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/reset-factors/", views.factors_reset, name="factors_reset"),
]

# django-otp-webauthn's endpoints under the names its scripts look up ("otp_webauthn:..."),
# with the two completions audited.
webauthn_urlpatterns = [
    path(
        "registration/begin/",
        webauthn_views.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        views.PasskeyRegistrationComplete.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        webauthn_views.BeginCredentialAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        views.PasskeyAuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
