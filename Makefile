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

SEEDS ?= 1 2 3 4 5

DATA_FLAGS := --epochs $(EPOCHS) $(if $(DATA),--data $(DATA)) \
	$(if $(MAX_SAMPLES),--max-samples $(MAX_SAMPLES))
FLAGS := $(DATA_FLAGS) --seed $(SEED) --output $(OUTPUT)

# Hide TensorFlow's C++ start-up chatter (no CUDA driver, oneDNN notices).
export TF_CPP_MIN_LOG_LEVEL ?= 3

.PHONY: help venv run-all reproduce seeds baseline bench test lint format clean $(SCRIPTS:.py=)

help:
	@echo "make run-all     train the four variants and compare them (results/RESULTS.md, curves.png)"
	@echo "make lstm_basic  train one variant (likewise lstm_dropout_layers, lstm_recurrent_dropout, cnn_lstm)"
	@echo "make reproduce   train VARIANT twice with the same seed and check the results are identical"
	@echo "make seeds       train the variants once per seed in SEEDS and summarise the spread (SPREAD.md)"
	@echo "make baseline    train the four as the tutorial's listings do, into results/tutorial/, for timing"
	@echo "make bench       time every model's training and evaluation step (results/bench.json)"
	@echo "make test        run the tests (no network, tiny synthetic data)"
	@echo "variables: DATA=path EPOCHS=$(EPOCHS) SEED=$(SEED) MAX_SAMPLES=N OUTPUT=$(OUTPUT) VARIANT=$(VARIANT) SEEDS=\"$(SEEDS)\" SCRIPTS=..."

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
	$(PY) run_all.py --scripts $(SCRIPTS) $(DATA_FLAGS) --seed $(SEED) \
		--output $(OUTPUT)/tutorial --tutorial-defaults

# Every seed runs even if one fails; the summary covers what succeeded.
seeds: venv
	status=0; for seed in $(SEEDS); do \
		$(PY) run_all.py --scripts $(SCRIPTS) $(DATA_FLAGS) --seed $$seed \
			--output $(OUTPUT)/seeds/$$seed || status=1; \
	done; \
	$(PY) compare.py --spread --results $(OUTPUT)/seeds && exit $$status

bench: venv
	$(PY) bench.py --output $(OUTPUT) $(if $(DATA),--data $(DATA))

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
