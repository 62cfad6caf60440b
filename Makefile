# The two commands a newcomer needs: `make run` and `make test` (see README.md).
# Both are safe to run again: they install only what changed, and the seed data
# is loaded only into an empty database, so nothing is duplicated or overwritten.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

# Local runs use debug mode (a development secret key, detailed error pages).
# Production sets DJANGO_DEBUG=0 and DJANGO_SECRET_KEY itself (README: Configuration).
export DJANGO_DEBUG ?= 1

.PHONY: run test install seed superuser lint chromium wrk lock clean bench bench-load bench-import bench-upload bench-writer bench-tasks bench-backup bench-exports

# The worker that runs background jobs (large admin imports and exports): tasks wait
# in the database, or in Redis when REDIS_URL is set (README: Background jobs).
WORKER := $(if $(REDIS_URL),rqworker default,db_worker)

# The server and the worker together; Ctrl-C stops both.
run: install seed
	@$(BIN)/python manage.py $(WORKER) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install chromium
	$(BIN)/python -m pytest -n auto

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--constraint constraints.txt --editable ".[dev]"
	touch $(STAMP)

seed: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed

# createsuperuser asks for a name, an e-mail address (Enter leaves it empty) and a password
# twice. Where there is no terminal to ask on (a script, CI), it takes them from
# DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD instead.
superuser: install
	@if [ -t 0 ]; then \
		$(BIN)/python manage.py createsuperuser; \
	elif [ -n "$$DJANGO_SUPERUSER_USERNAME" ] && [ -n "$$DJANGO_SUPERUSER_PASSWORD" ]; then \
		DJANGO_SUPERUSER_EMAIL="$${DJANGO_SUPERUSER_EMAIL-}" \
			$(BIN)/python manage.py createsuperuser --noinput; \
	else \
		echo "make superuser asks for a name and a password, and there is no terminal to ask on." >&2; \
		echo "Set them instead: DJANGO_SUPERUSER_USERNAME=... DJANGO_SUPERUSER_EMAIL=... DJANGO_SUPERUSER_PASSWORD=... make superuser" >&2; \
		echo "(which runs manage.py createsuperuser --noinput)." >&2; \
		exit 1; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tracker config
	$(BIN)/python manage.py makemigrations --check --dry-run

# The benchmark suite on SQLite and PostgreSQL at 100,000 developments (README: Benchmarks).
bench: install
	$(BIN)/python benchmarks/run.py

# gunicorn under 20 users for 60 seconds; two instances sharing sessions.
bench-load: install wrk
	$(BIN)/python benchmarks/load.py

# import_developments against loaddata on 100,000 developments (about ten minutes).
bench-import: install
	$(BIN)/python benchmarks/import_vs_loaddata.py --developments 100000

# Peak memory of a worker previewing a 50 MB upload in the admin (goal: under 200 MB).
bench-upload: install
	$(BIN)/python benchmarks/upload_memory.py

# A 100,000-row admin import confirmed as a background job, on SQLite: the request's
# time (goal: under a second) and the job's.
bench-tasks: install
	$(BIN)/python benchmarks/import_task.py

# backup and restore of 2,000, 20,000 and 100,000 developments (users, groups and history
# included) against dumpdata and loaddata, on SQLite (about 12 minutes).
bench-backup: install
	$(BIN)/python benchmarks/backup.py

# Every report export (explorer, recommendation, actor, actors, matrix, dashboard) in
# CSV, JSON and XLSX against a plain csv dump of the same rows, at 100,000 developments
# on SQLite and PostgreSQL (about 10 minutes a database).
bench-exports: install
	$(BIN)/python benchmarks/exports.py

# The import's raw SQL writes against bulk_create on the same 20,000 developments,
# SQLite and PostgreSQL (about four minutes).
bench-writer: install
	$(BIN)/python benchmarks/import_writer.py

wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "The load test needs wrk: installing it with apt-get..."; \
			apt-get update -qq && apt-get install -y -qq wrk >/dev/null; \
		else \
			echo "The load test needs wrk: sudo apt-get install wrk"; exit 1; \
		fi; }

# Browser tests drive Debian's chromium (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "The browser tests need Debian's chromium: installing it with apt-get (about 350 MB, a minute or two)..."; \
			apt-get update -qq && apt-get install -y -qq chromium >/dev/null \
				&& echo "Installed $$(chromium --version 2>/dev/null)."; \
		else \
			echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; \
		fi; }

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check --editable ".[dev]"
	.venv-lock/bin/python -m pip freeze --exclude-editable --disable-pip-version-check \
		| grep -v '^-e ' > constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) staticfiles screenshots media
