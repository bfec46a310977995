# Development and CI entry points; `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/pytest
LIFECYCLE := $(BIN)/lifecycle
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# The local stack's ports, and the test settings that reach what `lifecycle stack up` starts. The tests log in
# to its PostgreSQL as the superuser with the password file under LIFECYCLE_HOME (LIFECYCLE_TEST_PG_ADMIN_URL
# overrides it).
export LIFECYCLE_KAFKA_PORT ?= 9092
export LIFECYCLE_PG_PORT ?= 5433
export LIFECYCLE_KAFKA_BOOTSTRAP ?= 127.0.0.1:$(LIFECYCLE_KAFKA_PORT)
# When set, test-all writes its exit status into this file (.ci/run reports it as its own): the checks' (make's
# status, 2) when lint or typecheck fails, otherwise pytest's.
TEST_STATUS_FILE ?=
# Every dependency pinned with its hashes (`make lock` writes it); LOCK_FLAGS=--upgrade moves every pin to the newest.
LOCK := requirements.lock
RUNTIME_LOCK := requirements-runtime.lock
LOCK_FLAGS ?=

.PHONY: help setup lock deps debian-packages test-deps faults lint typecheck unit integration e2e test bench stack-up stack-down up test-all schemas asyncapi settings-table

help: ## List the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

setup: ## Create the virtualenv .venv and install the locked dependencies (hashes checked) and the project
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

# The build requirements of pyproject.toml go into the lock too: `setup` builds the project with the locked ones.
# The image installs the runtime lock only (no test tools), pinned to the same versions as the full lock.
BUILD_REQUIRES = $(BIN)/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))'
lock: ## Regenerate requirements.lock and requirements-runtime.lock from pyproject.toml (with hashes): after any dependency change
	$(BUILD_REQUIRES) \
		| $(BIN)/uv pip compile pyproject.toml - --extra dev --generate-hashes --universal --python-version 3.11 \
			--custom-compile-command 'make lock' --quiet $(LOCK_FLAGS) -o $(LOCK)
	$(BUILD_REQUIRES) \
		| $(BIN)/uv pip compile pyproject.toml - --generate-hashes --universal --python-version 3.11 \
			--custom-compile-command 'make lock' --quiet --constraint $(LOCK) -o $(RUNTIME_LOCK)

deps: ## Install what the stack needs from Debian when missing: Java, Maven, PostgreSQL
	@$(MAKE) --no-print-directory debian-packages WANT="java:default-jre-headless mvn:maven pg_ctl:postgresql"

test-deps: ## Install what the tests need from Debian when missing: the stack's packages, chromium and kcat
	@$(MAKE) --no-print-directory debian-packages WANT="java:default-jre-headless mvn:maven pg_ctl:postgresql chromium:chromium kcat:kcat"

debian-packages:
	@missing=""; \
	for pair in $(WANT); do \
		command="$${pair%%:*}"; package="$${pair##*:}"; \
		if [ "$$command" = pg_ctl ]; then ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && continue; \
		else command -v "$$command" >/dev/null && continue; fi; \
		missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi

lint: ## Check style and the import directions: ruff check, ruff format --check, lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Every folder's conftest.py is the module `conftest`: mypy checks one per run, those below tests/ after the rest.
SUB_CONFTESTS := $(sort $(wildcard tests/*/conftest.py tests/*/*/conftest.py tests/*/*/*/conftest.py))

typecheck: ## Check types with mypy (strict): the packages and tests/
	$(BIN)/mypy
	@for conftest in $(SUB_CONFTESTS); do echo "$(BIN)/mypy $$conftest"; $(BIN)/mypy "$$conftest" || exit 1; done

schemas: ## Regenerate schemas/json from the typed messages in schemas/events.py, event_parts.py, documents.py, deadletter.py, snapshot.py (a unit test keeps them in step)
	$(BIN)/python -m schemas.generate

asyncapi: ## Regenerate schemas/asyncapi.json from lifecycle/topics.py and schemas/json (a unit test keeps it in step)
	$(BIN)/python -m lifecycle.asyncapi

settings-table: ## Regenerate the README's settings table from lifecycle/settings.py (a unit test keeps it in step)
	$(BIN)/python -m lifecycle.settings_table

unit: ## Run the unit tests (no services)
	$(PYTEST) -m unit

integration: ## Run the integration tests (needs the stack)
	$(PYTEST) -m integration

e2e: ## Run the end-to-end tests (needs the stack and chromium)
	$(PYTEST) -m e2e

test: ## Run every test except the benchmarks (needs the stack)
	$(PYTEST) -m "not bench"

faults: ## Run the fault tests: kill -9, workers joining and leaving, a database outage (needs the stack)
	$(PYTEST) -m faults

bench: ## Run the benchmarks and print their figures (needs the stack)
	$(PYTEST) -m bench -s

stack-up: ## Start the local Kafka broker and PostgreSQL
	$(LIFECYCLE) stack up

stack-down: ## Stop the local Kafka broker and PostgreSQL
	$(LIFECYCLE) stack down

up: setup deps ## Fresh machine: install, then run the whole pipeline on the local stack (Ctrl-C stops it)
	$(LIFECYCLE) up

test-all: setup ## Fresh machine: set up, lint, typecheck, install, start the stack, run all tests but benchmarks, stop it
	@status=0; \
	$(MAKE) --no-print-directory --keep-going lint typecheck || status=$$?; \
	if [ $$status -eq 0 ]; then $(MAKE) --no-print-directory test-deps || status=$$?; fi; \
	if [ $$status -eq 0 ]; then \
		trap '$(LIFECYCLE) stack down' EXIT; \
		$(LIFECYCLE) stack up && $(PYTEST) -m "not bench" || status=$$?; \
	fi; \
	if [ -n "$(TEST_STATUS_FILE)" ]; then echo $$status > "$(TEST_STATUS_FILE)"; fi; \
	exit $$status
