# Set-up and checks. `make demo` and `make test` each do everything on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: install demo test lint format sample-faces benchmarks bench-public clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	# face_recognition declares plain dlib, which compiles for minutes: dlib-bin stands in.
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -c "import face_recognition_models, face_recognition"
	touch $(STAMP)

sample-faces: install
	$(PY) -m matching.samples

demo: install sample-faces
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py record_policy
	$(PY) manage.py collectstatic --no-input -v0
	@echo "Serving http://127.0.0.1:$(PORT)/  (staff sign-in at /staff/login/)"
	$(PY) manage.py runserver --insecure 127.0.0.1:$(PORT)

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

# The public record under a press spike (benchmarks/README.md): needs PostgreSQL; drops and
# rebuilds the databases <name>_demo, <name>_2000 and <name>_20000, and flushes the Redis db.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/oversight_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/15
bench-public: install
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	$(PY) benchmarks/bench_public.py --database-url $(BENCH_DATABASE_URL) --redis-url $(BENCH_REDIS_URL)
