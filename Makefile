# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint setup clean bench bench-holds screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	@echo "Installing the shop's libraries into $(VENV) (a minute or so the first time)..."
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

# A development SECRET_KEY, written once; production sets its own.
.env:
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))')" > .env
	@echo "Wrote .env with a development SECRET_KEY."

# Links in pages, e-mails and the printed logins use this port unless PUBLIC_URL is set.
# The Procfile's processes (shop, mail sender, hold sweeper) run together under honcho;
# Ctrl-C stops all three.
run: export PUBLIC_URL ?= http://127.0.0.1:$(PORT)
run: export PORT := $(PORT)
run: export WEB_CONCURRENCY ?= 2
run: setup .env
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) assets build
	@$(FLASK) staff demo-logins
	@$(FLASK) mail where
	@echo "Serving the shop on $$PUBLIC_URL with the mail sender and the hold sweeper; Ctrl-C stops them all."
	$(BIN)/honcho start --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/bandit --quiet --recursive storefront

# axe-core for the browser accessibility tests comes from npm; without npm those
# tests are skipped (and CI, which has npm, fails if it is missing).
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --silent; \
	else echo "npm not found: the browser accessibility tests will be skipped"; fi

test: setup lint $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks need PostgreSQL (BENCH_DATABASE_URL, default the local test server) and wrk.
bench: setup
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/flash_sale.py

# Holds per second on one hot variant against the bare UPDATE + ledger INSERT ceiling;
# writes the table into benchmarks/README.md (Stock holds).
bench-holds: setup
	$(BIN)/python -m benchmarks.holds --write

# PNGs of the main pages at desktop and phone widths for the README (needs chromium).
screenshots: setup
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
