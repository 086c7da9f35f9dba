# Grant facility portal. `make run` serves the demo on http://127.0.0.1:5000; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the portal needs: WeasyPrint's text stack and fonts, libmagic to recognise uploaded files (run),
# Chromium and poppler for tests; node and npm fetch axe-core (package.json) for the accessibility tests.
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 shared-mime-info \
            libmagic1
TEST_DEBS := chromium poppler-utils postgresql-client redis-tools redis-server

.PHONY: run test lint format venv system-deps test-system-deps node-deps translations extract-messages migrate seed \
        worker beat clean bench bench-deps

run: venv system-deps translations migrate seed
	@echo ""
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C to stop). Demo logins are printed above."
	@echo "Two-factor sign-in is optional for the demo's staff here (set TWO_FACTOR_REQUIRED_ROLES=manager,admin to"
	@echo "require it, as production always does); anyone can turn it on from their account page."
	TWO_FACTOR_REQUIRED_ROLES=$${TWO_FACTOR_REQUIRED_ROLES:-none} $(FLASK) run --host 127.0.0.1 --port 5000

# The suite runs in one process per core (at most four: each has its own database, live server, browser and Celery
# worker). PYTEST_WORKERS=0 runs it in this process, e.g. make test PYTEST_WORKERS=0 PYTEST_ARGS="tests/api -x".
PYTEST_WORKERS ?= auto

test: venv system-deps test-system-deps node-deps translations lint
	$(BIN)/python -m pytest --numprocesses $(PYTEST_WORKERS) --maxprocesses 4 --dist worksteal $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (apt-get install python3.11)"; exit 1; }
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || { $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q python3.11-venv; }
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Installs only what is missing, so a machine that has everything never calls apt-get.
define install_debs
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi
endef

system-deps:
	$(call install_debs,$(RUN_DEBS))

test-system-deps:
	$(call install_debs,$(TEST_DEBS))

# axe-core, pinned in package-lock.json, read by tests/browser/test_accessibility.py; reinstalled when the lock changes.
node-deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@# Debian's nodejs and npm when there is no npm at all (a machine with another Node.js, e.g. NodeSource's,
	@# which bundles npm and conflicts with Debian's npm package, keeps its own).
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

translations: venv
	$(BIN)/pybabel compile -d translations --statistics 2>&1 | grep -v "^$$" || true
	@ls translations/*/LC_MESSAGES/messages.mo >/dev/null

extract-messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

migrate: venv
	$(FLASK) db upgrade

seed: venv
	$(FLASK) seed-demo

worker: venv
	$(BIN)/celery -A workers.celery_app worker --loglevel=info

beat: venv
	$(BIN)/celery -A workers.celery_app beat --loglevel=info

# The benchmark (scripts/bench, docs/benchmarks.md): wrk from Debian; PostgreSQL and Redis must run on 127.0.0.1.
# Options: make bench BENCH_ARGS="--scale 0.05 --duration 5 --letters 20 --reuse"
BENCH_DEBS := wrk
BENCH_ARGS ?=

bench-deps: venv system-deps
	$(call install_debs,$(BENCH_DEBS))

bench: bench-deps translations
	$(BIN)/python -m scripts.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache node_modules

# Backup and restore (scripts/ops/backup.py; docs/reliability.md): the database (pg_dump -Fc, or SQLite's online backup)
# and the stored files (STORAGE_DIR) into backups/portal-<UTC time>/ with a manifest of row counts and file hashes.
# `make restore BACKUP=backups/portal-...` restores into DATABASE_URL and STORAGE_DIR and checks them against it.
.PHONY: backup restore loadtest
BACKUP_DIR ?= backups

backup: venv
	$(BIN)/python -m scripts.ops.backup backup --to $(BACKUP_DIR)

restore: venv
	@[ -n "$(BACKUP)" ] || { echo "Name the backup folder: make restore BACKUP=$(BACKUP_DIR)/portal-..."; exit 2; }
	$(BIN)/python -m scripts.ops.backup restore --from $(BACKUP)

# The load of a call's last minutes (scripts/loadtest/run.py; docs/reliability.md): 200 applicants saving and
# submitting around the deadline against gunicorn + PostgreSQL + Redis on 127.0.0.1, then a check of the database.
# LOADTEST_ARGS="--users 20 --close-after 30" for a short run; --write-docs records the result in docs/reliability.md.
loadtest: venv
	$(BIN)/python -m scripts.loadtest.run $(LOADTEST_ARGS)
