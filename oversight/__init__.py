"""Oversight: the project package (settings, URLs, the Celery app, WSGI/ASGI)."""

import os

# One BLAS thread per process. The engine scales by running one process per core (Celery
# workers, the web server's workers); OpenBLAS threads inside each would fight those processes
# for the same cores, and the OpenBLAS build of dlib (`make engine-fast`, DESIGN.md) was
# measured fastest at one thread per process. OpenBLAS and OpenMP read these variables once,
# when their library is loaded, so setting them later, for example in matching/engine.py after
# numpy is already imported, is silently ignored. This package is the first thing every
# process of the project imports (manage.py, `celery -A oversight`, gunicorn's oversight.wsgi
# and the test settings all go through oversight/ before loading numpy or dlib), and children
# of a prefork worker inherit the environment. An operator's own value is kept.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from .celery import app as celery_app  # noqa: E402  (after the BLAS thread count is set)

__all__ = ("celery_app",)
