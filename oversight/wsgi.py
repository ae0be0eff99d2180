"""WSGI entry point (gunicorn, and runserver). Refuses to start on the development key."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")
application = get_wsgi_application()

from core.startup import refuse_insecure_start  # noqa: E402  (needs the settings loaded)

refuse_insecure_start()
