# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up here.
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 3000
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The browser connects back to the page's own origin; allow it for whatever PORT is used.
export SELFSERVICE_ALLOWED_ORIGINS ?= http://localhost:$(PORT),http://127.0.0.1:$(PORT)

.PHONY: run run-cluster test setup setup-test lint bench demo clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[test]"
	touch $@

# Debian packages the tests need: Chromium for the browser tests, Redis, PostgreSQL and nginx for the cluster.
setup-test: setup
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium chromium-driver"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx-light"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi; \
	fi

run: setup
	$(VENV)/bin/selfservice demo
	$(VENV)/bin/reflex run --env prod --frontend-port $(PORT) --backend-port $(PORT) --backend-host $(HOST)

# The scale-out topology on this machine: nginx, 2 app processes, PostgreSQL, Redis, S3, schedulers.
run-cluster: setup-test
	$(VENV)/bin/selfservice cluster up --port $(PORT)

demo: setup
	$(VENV)/bin/selfservice demo

lint: setup
	$(VENV)/bin/ruff check selfservice tests bench
	$(VENV)/bin/ruff format --check selfservice tests bench

test: setup-test lint
	$(VENV)/bin/pytest -p no:cacheprovider

bench: setup-test
	$(VENV)/bin/python -m bench

clean:
	rm -rf .web .states uploaded_files test-artifacts
