"""gunicorn settings for Oversight (`gunicorn -c deploy/gunicorn.conf.py oversight.wsgi`)."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# PDF rendering and the frames API can take a while; the proxy's timeout matches.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Restart workers now and then, so a slow leak in a native library never grows for weeks.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
errorlog = "-"
# Only the proxy on this machine may set X-Forwarded-*; Django reads them per TRUSTED_PROXY_HOPS.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
