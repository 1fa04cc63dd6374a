# Two commands on a fresh machine: `make demo` and `make test`. Each sets up what it needs
# (uv in .tools/, the project virtualenv in .venv/, Node 22 and the CDK CLI in node_modules/)
# from python3, make and npm alone, and does nothing the second time unless a lock file changed.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
NODE_STAMP := node_modules/.installed
LAYER_STAMP := build/layer/.built
# Node 22 from node_modules first: jsii and the CDK CLI pick `node` from PATH.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export UV_PROJECT_ENVIRONMENT := $(VENV)
export JSII_NODE := $(CURDIR)/node_modules/.bin/node
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: help setup demo test test-fast lint fmt synth layer bench specs clean

help:
	@echo "make demo    onboard and offboard a new hire, then the other workflows, locally (moto + vendor fakes)"
	@echo "make test    run every test (unit, integration, infra)"
	@echo "make synth   synthesize the CDK app into cdk.out/ and cfn-lint the templates"
	@echo "make lint    ruff and mypy"
	@echo "make bench   run the benchmarks under benchmarks/"
	@echo "make specs   refresh sandbox/specs/ (trimmed vendor API descriptions) after editing operations.yaml"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Runtime dependencies for the Lambda platform (python3.13, arm64), built from the lock file
# without Docker: uv picks the manylinux aarch64 wheels.
$(LAYER_STAMP): uv.lock | $(UV)
	rm -rf build/layer && mkdir -p build/layer
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --quiet -o build/layer/requirements.txt
	$(UV) pip install --quiet --python-platform aarch64-manylinux2014 --python-version 3.13 \
		--only-binary :all: --target build/layer/python -r build/layer/requirements.txt
	@touch $@

setup: $(STAMP) $(NODE_STAMP) $(LAYER_STAMP)

layer: $(LAYER_STAMP)

demo: $(STAMP)
	$(VENV)/bin/platform-automation demo

test: setup
	$(VENV)/bin/pytest -n 2 --dist loadfile

test-fast: $(STAMP)
	$(VENV)/bin/pytest -m "not infra"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# W3005 (redundant DependsOn) is how CDK wires every role to its function; errors still fail.
synth: setup
	cdk synth --quiet --no-notices
	$(VENV)/bin/cfn-lint cdk.out/*.template.json --non-zero-exit-code error --ignore-checks W3005

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/engine.py
	$(VENV)/bin/python benchmarks/ingress.py
	$(VENV)/bin/python benchmarks/imports.py
	$(VENV)/bin/python benchmarks/forms.py
	$(VENV)/bin/python benchmarks/deployment.py

# Trimmed copies of the vendors' API descriptions for the contract checks (sandbox/specs/), from
# ../shared/specs or $$PLATFORM_VENDOR_SPECS: run after adding an operation to sandbox/specs/operations.yaml.
specs: $(STAMP)
	$(VENV)/bin/python scripts/vendor_specs.py

clean:
	rm -rf $(VENV) $(TOOLS) node_modules build cdk.out .pytest_cache .mypy_cache .ruff_cache
