# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test e2e lint format install bench soak check clean lock

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

# The task worker (PDFs of the report) runs in the background and stops with the server. It does
# not reload on code changes (its reloader would outlive it): Ctrl+C and `make run` again.
run: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo --if-empty
	@echo "Serving on http://127.0.0.1:8000/ with a task worker  (Ctrl+C to stop both)"
	@DEBUG=true $(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

# The whole suite, browser tests included (they skip with a reason when Chromium is missing,
# and must run when CI=true). Exit code 5 (no tests collected) counts as a failure.
test: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) bench/run.py

# 50 concurrent writers for 60 s: no 5xx, no "database is locked", no acknowledged write lost.
soak: $(STAMP)
	$(PY) bench/soak.py $(SOAK_ARGS)

# Regenerate the lock file after editing pyproject.toml dependencies.
lock:
	$(PYTHON) -m pip install --quiet uv && $(PYTHON) -m uv pip compile pyproject.toml --extra dev \
		--generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
