# The clinic assistant. `make help` lists every verb.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.10
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

INSTALLED := $(VENV)/.installed
SPACY := build/clinic_nlp/meta.json
MODEL := models/clinic.tar.gz
TRAINING_DATA := $(shell find data -name '*.yml')
NODE_MODULES := node_modules/.package-lock.json
SOCKET_IO := api/static/vendor/socket.io.min.js

.PHONY: help run run-scaled bench-scaled test test-resilience test-scaled train eval audit lint format spacy knowledge widget clean

help: ## List the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.10 is needed: install it (e.g. 'pyenv install 3.10') or run 'make PYTHON=/path/to/python3.10'"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

$(SPACY): $(INSTALLED) bot/pipeline.py bot/red_flags.py bot/emergency_now.py $(wildcard bot/patterns/*.jsonl) $(wildcard bot/patterns/*.txt) $(wildcard bot/safety_examples/*.yml) $(TRAINING_DATA)
	$(PY) -m bot.pipeline build/clinic_nlp

# Rasa keeps its own cache too: a change that doesn't touch the data retrains in seconds.
$(MODEL): $(SPACY) config.yml domain.yml bot/components.py $(TRAINING_DATA)
	$(BIN)/rasa train --fixed-model-name clinic --out models
	@touch $@

# The chat widget's npm packages: socket.io's browser client (served by the API) and axe-core (tests).
$(NODE_MODULES): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the chat widget: install Node.js and npm (e.g. 'apt-get install -y nodejs npm')"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Served from the clinic's own server: nothing is fetched from elsewhere when a patient opens the chat.
$(SOCKET_IO): $(NODE_MODULES)
	@mkdir -p $(@D)
	cp node_modules/socket.io-client/dist/socket.io.min.js $@

# rasa-webchat, the widget most Rasa sites embed: the browser tests check our chat works with it too.
# Only its npm tarball's standalone bundle is needed (not its build-time packages), checked against the
# integrity npm publishes for it.
WEBCHAT_VERSION := 1.0.1
WEBCHAT_INTEGRITY := sha512-Ld1zVJvTAaTrs6A5p8t70agNNrKYRyXlvqXZRgBoDvKKUXbA0jhJKECi5bdPGlaR6jsmqWtVylHS+YqIqo0x8w==
WEBCHAT := build/webchat/rasa-webchat-$(WEBCHAT_VERSION).js
WEBCHAT_TARBALL := build/webchat/rasa-webchat-$(WEBCHAT_VERSION).tgz

$(WEBCHAT): $(INSTALLED)
	@command -v npm >/dev/null || { echo "npm is needed for the browser tests: install Node.js and npm (e.g. 'apt-get install -y nodejs npm')"; exit 1; }
	@mkdir -p $(@D)
	cd $(@D) && npm pack rasa-webchat@$(WEBCHAT_VERSION) --silent >/dev/null
	@test "$$($(PY) -m scripts.integrity $(WEBCHAT_TARBALL))" = "$(WEBCHAT_INTEGRITY)" \
		|| { echo "$(WEBCHAT_TARBALL) does not match rasa-webchat $(WEBCHAT_VERSION)'s published integrity"; rm -f $(WEBCHAT_TARBALL); exit 1; }
	tar -xzf $(WEBCHAT_TARBALL) -O package/lib/index.js > $@

widget: $(SOCKET_IO) ## Install the widget's npm packages and copy socket.io's client into api/static

spacy: $(SPACY) ## Build our spaCy pipeline (build/clinic_nlp)

knowledge: $(INSTALLED) ## Rebuild the knowledge base (var/knowledge.db) from content/ and clinic.yml
	$(PY) -m actions.knowledge

train: $(MODEL) ## Train the assistant if its data or configuration changed

run: $(MODEL) $(SOCKET_IO) ## Start Rasa (5005), the action server (5055) and the web app (8000)
	$(PY) -m scripts.stack

# Scale-out (README "Scale-out"): Debian's PostgreSQL, Redis and nginx as our own processes, data under var/.
INSTANCES ?= 2

run-scaled: $(MODEL) $(SOCKET_IO) ## Start N Rasa instances and action servers (INSTANCES=2) behind nginx (5005), on PostgreSQL and Redis
	$(PY) -m scripts.scaled --instances $(INSTANCES)

bench-scaled: $(MODEL) ## Only make bench's scale-out part: 1 vs 2 instances and make run's stack (~6 min; prints the table)
	$(PY) -m scripts.bench.scaled

test-scaled: $(MODEL) $(SOCKET_IO) $(WEBCHAT) ## Only the scale-out tests: 2 instances behind nginx, on PostgreSQL and Redis (needs them installed)
	$(PY) -m pytest -m scaled

test: $(MODEL) $(SOCKET_IO) $(WEBCHAT) ## Check who imports whom, validate the data and run every test, end to end included
	$(BIN)/lint-imports --no-cache
	$(BIN)/rasa data validate --fail-on-warnings --quiet
	$(PY) -m pytest

test-resilience: $(MODEL) ## Only the fault and load tests (crashes, restarts, 200 conversations at once)
	$(PY) -m pytest -m resilience

eval: $(MODEL) ## Score the model on the held-out questions; writes docs/evaluation.md
	$(PY) -m scripts.evaluate

.PHONY: bench
bench: $(MODEL) ## Measure latency, accuracy, cost and 1 vs 2 instances (if PostgreSQL, Redis, nginx); writes docs/benchmarks.md (QUICK=1: under 3 min, no scale-out)
	$(PY) -m scripts.bench $(if $(QUICK),--quick)

audit: $(INSTALLED) ## Check installed packages against the reviewed advisory list (docs/advisories.yml), offline
	$(PY) -m scripts.audit

lint: $(INSTALLED) ## ruff, mypy and the import contracts (lint-imports)
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(INSTALLED) ## Let ruff fix what it can
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove what `make` built (keeps .venv and var/ data)
	rm -rf build models .rasa node_modules $(SOCKET_IO)
