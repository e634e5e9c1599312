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

.PHONY: help run test train eval lint format spacy knowledge clean

help: ## List the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.10 is needed: install it (e.g. 'pyenv install 3.10') or run 'make PYTHON=/path/to/python3.10'"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

$(SPACY): $(INSTALLED) bot/pipeline.py bot/red_flags.py $(wildcard bot/patterns/*.jsonl)
	$(PY) -m bot.pipeline build/clinic_nlp

# Rasa keeps its own cache too: a change that doesn't touch the data retrains in seconds.
$(MODEL): $(SPACY) config.yml domain.yml bot/components.py $(TRAINING_DATA)
	$(BIN)/rasa train --fixed-model-name clinic --out models
	@touch $@

spacy: $(SPACY) ## Build our spaCy pipeline (build/clinic_nlp)

knowledge: $(INSTALLED) ## Rebuild the knowledge base (var/knowledge.db) from content/ and clinic.yml
	$(PY) -m actions.knowledge

train: $(MODEL) ## Train the assistant if its data or configuration changed

run: $(MODEL) ## Start Rasa (5005), the action server (5055) and the web app (8000)
	$(PY) -m scripts.stack

test: $(MODEL) ## Validate the data and run every test, the end-to-end ones included
	$(BIN)/rasa data validate --fail-on-warnings --quiet
	$(PY) -m pytest

eval: $(MODEL) ## Score the model on the held-out questions; writes docs/evaluation.md
	$(PY) -m scripts.evaluate

lint: $(INSTALLED) ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(INSTALLED) ## Let ruff fix what it can
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove what `make` built (keeps .venv and var/ data)
	rm -rf build models .rasa
