# Set-up and checks. `make demo` and `make test` each do everything on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: install demo serve test lint format sample-faces benchmarks bench-public bench-live clean engine-fast engine-bin

install: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	# face_recognition declares plain dlib, which compiles for minutes: dlib-bin stands in.
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	# After `make engine-fast`, pip has just put dlib-bin's files over the OpenBLAS build: swap
	# the cached build back in (seconds), or go back to dlib-bin if the cache is gone.
	VENV=$(VENV) sh deploy/engine-fast.sh reapply
	$(PY) -c "import face_recognition_models, face_recognition"
	touch $(STAMP)

# The faster encoder (README, "The engine"): dlib compiled against OpenBLAS from the registry's
# source distribution, once, into .cache/engine-fast/ (about 16 minutes of both cores), then
# swapped in for dlib-bin and checked to encode as dlib-bin does. `make engine-bin` goes back.
engine-fast: install
	VENV=$(VENV) sh deploy/engine-fast.sh install

engine-bin: install
	VENV=$(VENV) sh deploy/engine-fast.sh bin

sample-faces: install
	$(PY) -m matching.samples

# The demo: two factors off for the printed demo users, and a banner on every page saying so.
demo: export OVERSIGHT_DEMO = 1
demo: install sample-faces
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py record_policy
	$(PY) manage.py collectstatic --no-input -v0
	@echo "Serving http://127.0.0.1:$(PORT)/  (staff sign-in at /staff/login/)"
	$(PY) manage.py runserver --insecure 127.0.0.1:$(PORT)

# Production processes in the foreground: gunicorn, a Celery worker and beat, against the
# PostgreSQL and Redis named by DATABASE_URL and REDIS_URL (and SECRET_KEY etc., README
# "Production"). deploy/ holds the systemd units and the reverse proxy for a real server.
WORKERS ?= 3
# Cameras that may run at once (one ingest process each).
CAMERAS ?= 4
serve: export STATIC_MANIFEST = 1
serve: install
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL (PostgreSQL) first."; exit 2; }
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL first."; exit 2; }
	@test -n "$$SECRET_KEY$$SECRET_KEY_FILE" || { echo "Set SECRET_KEY (or SECRET_KEY_FILE) first."; exit 2; }
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v0
	$(BIN)/celery -A oversight worker --pool=solo -n default@%h -l INFO & worker=$$!; \
	OPENBLAS_NUM_THREADS=1 $(BIN)/celery -A oversight worker --pool=solo -Q matching -n matching@%h -l INFO & matching=$$!; \
	OPENBLAS_NUM_THREADS=1 $(BIN)/celery -A oversight worker --pool=prefork --concurrency=$(CAMERAS) -Q ingest -n ingest@%h -l INFO & ingest=$$!; \
	mkdir -p "$${OVERSIGHT_VAR_DIR:-var}"; \
	$(BIN)/celery -A oversight beat -l INFO --schedule "$${OVERSIGHT_VAR_DIR:-var}/celerybeat-schedule" & beat=$$!; \
	trap 'kill $$worker $$matching $$ingest $$beat 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn oversight.wsgi:application --config deploy/gunicorn.conf.py \
	  --bind 127.0.0.1:$(PORT) --workers $(WORKERS)

test: install sample-faces
	$(PY) -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .cache var

benchmarks: install sample-faces
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	$(PY) benchmarks/bench_matching.py
	$(PY) benchmarks/bench_pipeline.py
	$(PY) benchmarks/bench_memory.py
	$(PY) benchmarks/bench_legal_diff.py
	@# dlib-bin against the OpenBLAS build: only once `make engine-fast` has built the wheel.
	@if [ -n "$$(VENV=$(VENV) sh deploy/engine-fast.sh wheel-path)" ]; then \
	  echo "$(PY) benchmarks/bench_encode.py"; $(PY) benchmarks/bench_encode.py; \
	else \
	  echo "bench_encode.py skipped: no engine-fast wheel in .cache/engine-fast/ (make engine-fast builds it once, about 16 minutes)"; \
	fi

# The public record under a press spike (benchmarks/README.md): needs PostgreSQL; drops and
# rebuilds the databases <name>_demo, <name>_2000 and <name>_20000, and flushes the Redis db.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/oversight_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/15
bench-public: install
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	$(PY) benchmarks/bench_public.py --database-url $(BENCH_DATABASE_URL) --redis-url $(BENCH_REDIS_URL)

# Live operations (benchmarks/README.md): cameras to the console, and matching workers' scaling.
# Needs PostgreSQL and Redis; drops and rebuilds the database named and flushes the Redis db.
BENCH_LIVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/oversight_bench_live
BENCH_LIVE_REDIS_URL ?= redis://127.0.0.1:6379/14
bench-live: install sample-faces
	$(PY) benchmarks/bench_live.py --database-url $(BENCH_LIVE_DATABASE_URL) --redis-url $(BENCH_LIVE_REDIS_URL)
