# Everything runs inside .venv, created from requirements.txt on first use.
# Offline or without a download, point DATA at a local copy of the data set:
#   make run-all DATA=path/to/aclImdb_v1.tar.gz
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SCRIPTS := lstm_basic.py lstm_dropout_layers.py lstm_recurrent_dropout.py cnn_lstm.py

# The tutorial's settings; override for quick runs, e.g. EPOCHS=1 MAX_SAMPLES=500.
EPOCHS ?= 3
SEED ?= 7
MAX_SAMPLES ?=
DATA ?=
OUTPUT ?= results
VARIANT ?= lstm_basic.py

FLAGS := --epochs $(EPOCHS) --seed $(SEED) --output $(OUTPUT) \
	$(if $(DATA),--data $(DATA)) $(if $(MAX_SAMPLES),--max-samples $(MAX_SAMPLES))

export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: help venv run-all reproduce baseline bench test lint format clean $(SCRIPTS:.py=)

help:
	@echo "make run-all     train the four variants and compare them (results/RESULTS.md, curves.png)"
	@echo "make lstm_basic  train one variant (likewise lstm_dropout_layers, lstm_recurrent_dropout, cnn_lstm)"
	@echo "make reproduce   train VARIANT twice with the same seed and check the results are identical"
	@echo "make baseline    train the four as the tutorial's listings do, into results/tutorial/, for timing"
	@echo "make bench       time every model's training and evaluation step (results/bench.json)"
	@echo "make test        run the tests (no network, tiny synthetic data)"
	@echo "variables: DATA=path EPOCHS=$(EPOCHS) SEED=$(SEED) MAX_SAMPLES=N OUTPUT=$(OUTPUT) VARIANT=$(VARIANT)"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

run-all: venv
	$(PY) run_all.py --scripts $(SCRIPTS) $(FLAGS)

$(SCRIPTS:.py=): venv
	$(PY) $@.py $(FLAGS)

reproduce: venv
	$(PY) run_all.py --reproduce $(VARIANT) $(FLAGS)

baseline: venv
	$(PY) run_all.py --scripts $(SCRIPTS) $(FLAGS:--output $(OUTPUT)=--output $(OUTPUT)/tutorial) --tutorial-defaults

bench: venv
	$(PY) bench.py --output $(OUTPUT)

test: venv
	$(PY) -m pytest -q tests

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache
