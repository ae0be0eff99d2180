"""URLs: public pages at the root, staff pages under /staff/, the engine's API under /api/.

There is no /admin/: staff sign in at /staff/login/ only, with their second factor.
"""

from django.urls import include, path

from accounts.urls import staff_urlpatterns as accounts_staff
from accounts.urls import webauthn_urlpatterns as accounts_webauthn
from deployments.urls import staff_urlpatterns as deployments_staff
from fairness.urls import public_urlpatterns as fairness_public
from legal.urls import staff_urlpatterns as legal_staff
from matching.urls import api_urlpatterns as matching_api
from matching.urls import staff_urlpatterns as matching_staff
from public.urls import public_urlpatterns as public_public
from public.urls import staff_urlpatterns as public_staff

staff_urlpatterns = [
    *accounts_staff,
    *legal_staff,
    *public_staff,
    # Before the register's own: its catch-all deployments/<ref>/<action>/ would take these.
    *matching_staff,
    *deployments_staff,
]

urlpatterns = [
    path("staff/webauthn/", include((accounts_webauthn, "otp_webauthn"))),
    path("staff/", include((staff_urlpatterns, "staff"))),
    path("api/v1/", include((matching_api, "api"))),
    path("", include((public_public + fairness_public, "public"))),
]

# Errors raised before a view runs (a bad Host header, a failing middleware) are answered as JSON
# under /api/, like every other answer of the frames API, and as the usual pages elsewhere.
handler400 = "matching.api.bad_request_or_json"
handler500 = "matching.api.server_error_or_json"
