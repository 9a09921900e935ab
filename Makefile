# The two commands of the README: `make demo` and `make test`. Each creates
# its own virtualenv (.venv) from nothing but Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck bench lambda-package clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/facewatch demo

test: $(BIN)/.installed lint typecheck
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

bench: $(BIN)/.installed
	$(BIN)/python bench/workflow_cost.py
	$(BIN)/python bench/recognizer.py
	$(BIN)/python bench/end_to_end.py

clean:
	rm -rf $(VENV) build .facewatch .pytest_cache .mypy_cache .ruff_cache
