"""Settings for bench_public.py only: the project's own, with the benchmark's URLconf (which
adds the bare view). Never used by the project itself."""

from oversight.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
