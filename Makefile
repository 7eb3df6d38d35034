# The two commands of the README. Both create the virtualenv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Start the bot on the embedded SQLite default, with the demo city loaded.
run: $(STAMP)
	$(BIN)/malkoll db upgrade
	$(BIN)/malkoll demo
	$(BIN)/malkoll serve

# Unit, storage (SQLite and PostgreSQL), dialog and end-to-end tests.
test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
