# One command surface for people and CI (README and .ci/run call these targets verbatim).
#   make run    install what is missing, train/build what is stale, start Loket
#   make test   the whole test suite (unit + integration + browser), non-zero on failure

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
RASA_VENV := .venv-rasa
APP_STAMP := $(VENV)/.installed
RASA_STAMP := $(RASA_VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test env rasa-env browser balancer lint train ingest clean

run: env rasa-env
	$(VENV)/bin/loket run

test: env rasa-env browser balancer lint
	$(VENV)/bin/python -m pytest

env: $(APP_STAMP)
rasa-env: $(RASA_STAMP)

# The app environment (Python 3.11). torch first, from the CPU wheel on local disk:
# any other torch request would pull a multi-GB CUDA build.
$(APP_STAMP): pyproject.toml
	@echo "==> App environment: installing into $(VENV) (about 2 minutes the first time)"
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

$(RASA_STAMP): bot/requirements-rasa.lock bot/install_rasa_env.sh
	bash bot/install_rasa_env.sh $(RASA_VENV)
	touch $@

# Debian's Chromium for the browser tests (a test tool's own browser download fails offline).
browser: $(CHROMIUM)
$(CHROMIUM):
	@echo "==> Installing Debian's chromium for the browser tests"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# Debian's HAProxy: the load balancer of the replica layout (docs/deployment.md) and its test.
HAPROXY := /usr/sbin/haproxy
balancer: $(HAPROXY)
$(HAPROXY):
	@echo "==> Installing Debian's haproxy for the replica layout"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null

train: env rasa-env
	$(VENV)/bin/loket train

ingest: env
	$(VENV)/bin/loket ingest

lint: env
	$(VENV)/bin/ruff check api actions knowledge routing bot tests bench
	$(VENV)/bin/mypy api actions knowledge routing

clean:
	rm -rf var .rasa
