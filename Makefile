# Balagh 940 — `make help` lists the targets. Everything bootstraps itself on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
PYTHON311 ?= $(shell command -v python3.11 || command -v python3)
PYTHON310 ?= $(shell p=$$(pyenv prefix 3.10 2>/dev/null) && echo $$p/bin/python3.10 || command -v python3.10)
RASA_DATA := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
	$(wildcard nlu_components/*.py) bot/arabic.py bot/digits.py bot/languages.py
export PYTHONPATH := $(CURDIR)
# Debian packages (each also the name of its command): ffmpeg for pydub; espeak-ng and sox make
# the tests' speech recordings; chromium runs the browser tests; redis-server and haproxy run
# the replicated topology (its tests and `make bench-scale` start them themselves).
SYSTEM_PACKAGES := ffmpeg espeak-ng sox chromium redis-server haproxy

.PHONY: help run test lint typecheck dialogue-checks pytest locales-extract locales-check bench bench-% system-deps lock clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

run: system-deps $(VENV)/.installed $(RASA_VENV)/.installed models/.trained ## Start the whole contact center on embedded defaults
	$(VENV)/bin/balagh run

test: system-deps $(VENV)/.installed lint typecheck dialogue-checks pytest ## Install what is needed, then lint, type-check and run every test

lint: $(VENV)/.installed ## ruff format check and lint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed ## mypy (strict)
	$(VENV)/bin/mypy

dialogue-checks: $(VENV)/.installed $(RASA_VENV)/.installed data/nlu/lookups.yml ## Rasa: validate, train if changed, NLU and conversation tests
	$(PY) tests/rasa_checks.py

pytest: $(VENV)/.installed ## The pytest suite
	$(PY) -m pytest

locales-extract: $(VENV)/.installed ## Find the words keys the code names; add new ones to locales/*.po
	$(VENV)/bin/balagh locales extract

locales-check: $(VENV)/.installed ## Check the word catalogues (both languages, unused keys, phone words)
	$(VENV)/bin/balagh locales check

bench: $(VENV)/.installed ## Run every benchmark (each prints one JSON line last)
	@for script in bench/[a-z]*.py; do name=$$(basename $$script .py); $(MAKE) --no-print-directory bench-$$name || exit 1; done

bench-%: system-deps $(VENV)/.installed ## Run one benchmark: make bench-store, make bench-scale
	$(PY) bench/$*.py

system-deps: ## ffmpeg, espeak-ng, sox, chromium, redis-server, haproxy; apt-get when root
	@missing=$$(for p in $(SYSTEM_PACKAGES); do command -v $$p >/dev/null || [ -x /usr/sbin/$$p ] || echo $$p; done); \
	[ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing:" $$missing "- install them with 'sudo apt-get install" $$missing"' (Debian/Ubuntu; on macOS: brew)"; exit 1; \
	  fi; }

$(VENV)/.installed: requirements/service.lock pyproject.toml
	@test -n "$(PYTHON311)" || { echo "Python 3.11+ is needed (python3.11 not found)"; exit 1; }
	$(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/service.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock
	@test -x "$(PYTHON310)" || { echo "Python 3.10 is needed for Rasa 3.6: 'pyenv install 3.10.13' (or your OS's python3.10)"; exit 1; }
	$(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	$(RASA_VENV)/bin/python -m pip install --quiet -r requirements/rasa.lock
	@touch $@

models/.trained: $(VENV)/.installed $(RASA_VENV)/.installed data/nlu/lookups.yml $(RASA_DATA)
	$(PY) tests/rasa_checks.py --train-only
	@touch $@

# The NLU's lookup tables follow the catalogue: a category or district added there is here too.
data/nlu/lookups.yml: catalogue.yml nlu_components/lookups.py bot/languages.py | $(VENV)/.installed
	$(PY) -m nlu_components.lookups

lock: ## Re-pin the service environment from requirements/service.in
	rm -rf /tmp/balagh-lock && $(PYTHON311) -m venv /tmp/balagh-lock
	/tmp/balagh-lock/bin/pip install --quiet -r requirements/service.in
	/tmp/balagh-lock/bin/pip freeze --exclude-editable > requirements/service.lock

clean: ## Remove environments, models and local data (var/)
	rm -rf $(VENV) $(RASA_VENV) models/*.tar.gz models/.trained var .mypy_cache .ruff_cache .pytest_cache
