# One entry point for people and CI. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# When make began: the test summary shows the whole command's time.
STARTED := $(shell date +%s)

.PHONY: install tools demo test test-unit lint kafka-up kafka-down bench bench-scale soak clean

install: $(STAMP)

# uv installs the environment in seconds (pip took about 30 of the test command's budget); pip
# only brings uv itself into the fresh venv. Compiled at install, as pip does: where
# PYTHONDONTWRITEBYTECODE is set (it is on these machines) every process would otherwise compile
# every module it imports, and the suite took a third more CPU.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test]'
	touch $(STAMP)

tools:
	bash scripts/install-tools.sh

demo: install
	$(BIN)/customs-kpi demo

# Lint, format and types are gates: a finding fails the test command (and CI) before any test runs.
# The tests then run on one worker more than the cores (at most 4, each with its own broker),
# longest first: the long wall-clock tests (the alerting window, the SIGKILLs, the broker restart)
# spend much of their time waiting, and the extra worker fills it (2 cores: 584 s with 2 workers,
# 505 s with 3, 514 s with 4). The summary shows the wall time of the whole command and its ten
# slowest tests.
WORKERS ?= $(shell n=$$(nproc); echo $$(( n + 1 < 4 ? n + 1 : 4 )))
test: install tools lint
	CUSTOMS_KPI_MAKE_TEST_STARTED=$(STARTED) $(BIN)/python -m pytest -q -n $(WORKERS)

test-unit: install
	$(BIN)/python -m pytest -q tests/unit

lint: install
	$(BIN)/ruff check streams tests scripts
	$(BIN)/ruff format --check streams tests scripts
	$(BIN)/mypy

kafka-up: install
	$(BIN)/customs-kpi kafka up

kafka-down: install
	$(BIN)/customs-kpi kafka down

bench: install
	$(BIN)/python scripts/bench_consume.py

bench-scale: install
	$(BIN)/python scripts/bench_scale.py --keep-at 40e6

soak: install
	$(BIN)/python scripts/soak.py --rate 2000 --minutes 10

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
