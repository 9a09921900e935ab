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
	$(BIN)/python bench/camera_hour_cost.py
	$(BIN)/python bench/recognizer.py
	$(BIN)/python bench/end_to_end.py

# The Lambdas' package (snapshot and decode functions): handlers/ plus Pillow wheels for the Lambda platform
# (python3.12, x86_64; manylinux_2_28 is accepted too: Lambda's Amazon Linux 2023 has glibc 2.34).
LAMBDA_PACKAGE := build/lambda/snapshot

lambda-package: $(BIN)/.installed
	rm -rf $(LAMBDA_PACKAGE)
	$(BIN)/python -m pip install --quiet --target $(LAMBDA_PACKAGE) \
		--platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
		--implementation cp --python-version 3.12 --only-binary=:all: "pillow>=10"
	mkdir -p $(LAMBDA_PACKAGE)/handlers
	cp handlers/*.py $(LAMBDA_PACKAGE)/handlers/

clean:
	rm -rf $(VENV) build .facewatch .pytest_cache .mypy_cache .ruff_cache
