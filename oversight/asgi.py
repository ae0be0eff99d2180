"""ASGI entry point. Refuses to start on the development key."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")
application = get_asgi_application()

from core.startup import refuse_insecure_start  # noqa: E402  (needs the settings loaded)

refuse_insecure_start()
