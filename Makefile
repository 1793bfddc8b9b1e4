# cxdesk — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Embedded defaults for the demo: SQLite file and kombu's filesystem broker under var/.
DEMO_ENV = DEBUG=true CELERY_BROKER_URL=filesystem:// CXDESK_CLOSE_SWEEP_SECONDS=60 \
	CXDESK_PUBLIC_URL=http://127.0.0.1:$(PORT)

.PHONY: demo test lint bench venv clean

# The stamp is written only after pip succeeded, so a failed install is retried next time.
$(VENV)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(VENV)/.installed

venv: $(VENV)/.installed

# The banner (URL, logins) is printed by cxdesk/demo_run.py once the web server, the worker
# and beat are all up, so their start-up output does not scroll it away; Ctrl-C stops the
# three and make exits quietly (see that script for why it hands honcho the terminal).
DEMO_VAR = $(or $(CXDESK_VAR_DIR),var)
demo: venv
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py demo_data --banner $(DEMO_VAR)/demo-banner.txt
	@echo ""
	@echo "starting the web server, a Celery worker and beat on port $(PORT) …"
	@$(DEMO_ENV) PORT=$(PORT) $(BIN)/python cxdesk/demo_run.py --port $(PORT) \
		--banner $(DEMO_VAR)/demo-banner.txt --ready-dir $(DEMO_VAR)/run \
		-- $(BIN)/honcho -f Procfile.demo start

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python bench/api_create.py
	$(BIN)/python bench/api_create_cpu.py
	$(BIN)/python bench/email_ingest.py
	$(BIN)/python bench/business_time.py
	$(BIN)/python bench/sla.py
	$(BIN)/python bench/agent_pages.py
	$(BIN)/python bench/rootcauses.py
	$(BIN)/python bench/supervisor.py

# mypy exits 1 when it reports errors; mypy-baseline then fails only on errors that are not
# in mypy-baseline.txt (or listed there but fixed). Exit 2 is mypy's own failure.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	mkdir -p .mypy_cache
	$(BIN)/mypy > .mypy_cache/report.txt || test $$? -eq 1 || { cat .mypy_cache/report.txt; false; }
	$(BIN)/mypy-baseline filter < .mypy_cache/report.txt

clean:
	rm -rf var .pytest_cache .ruff_cache
