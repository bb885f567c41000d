# Everything runs inside .venv, created from requirements.txt on first use.
# Offline or without a download, point DATA at a local copy of the data set:
#   make run-all DATA=path/to/aclImdb_v1.tar.gz
# or at a CSV file of your own reviews (README, "Your own reviews"):
#   make run-all DATA=reviews.csv
PYTHON ?= python3
# The Keras backend: tensorflow (requirements.txt), jax (requirements-jax.txt) or torch
# (requirements-torch.txt), each in an environment of its own.
BACKEND ?= tensorflow
# Each backend's environment, from its one list in imdb_lstm/paths.py.
VENV := $(shell $(PYTHON) -m imdb_lstm.paths venv $(BACKEND))
ifeq ($(VENV),)
$(error BACKEND must be tensorflow, jax or torch, not "$(BACKEND)")
endif
REQUIREMENTS := requirements$(if $(filter-out tensorflow,$(BACKEND)),-$(BACKEND)).txt
export KERAS_BACKEND := $(BACKEND)
PY := $(VENV)/bin/python
# The four variants and the three extensions, from their one list in imdb_lstm/variants.py.
# EXTENSIONS=1: make run-all and make seeds train the extensions too.
EXTENSIONS ?=
LISTINGS := $(shell $(PYTHON) -m imdb_lstm.variants)
EXTENDED := $(filter-out $(LISTINGS),$(shell $(PYTHON) -m imdb_lstm.variants --extensions))
SCRIPTS := $(LISTINGS) $(if $(EXTENSIONS),$(EXTENDED))

# Empty: each script's own settings (its header: EPOCHS, BATCH_SIZE, SEED, the tutorial's).
# Set them for quick runs, e.g. EPOCHS=1 MAX_SAMPLES=500.
EPOCHS ?=
SEED ?=
MAX_SAMPLES ?=
DATA ?=
# Each backend's results in a folder of their own, so no report mixes them.
OUTPUT ?= results$(if $(filter-out tensorflow,$(BACKEND)),/$(BACKEND))
VARIANT ?= lstm_basic.py

SEEDS ?= 7 1 2 3 4
# Runs at a time; empty: one per CPU core (one where a GPU trains). JOBS=1: one after the
# other, with Keras's progress bars.
JOBS ?=
JOBS_FLAG := $(if $(JOBS),--jobs $(JOBS))

# CLUSTER=tcp://host:8786: make run-all and make seeds train each run as a task on that
# Dask cluster (docs/cluster.md); make installs requirements-cluster.txt for it.
CLUSTER ?=
CLUSTER_FLAG := $(if $(CLUSTER),--cluster $(CLUSTER))
CLUSTER_VENV := $(if $(CLUSTER),$(VENV)/.cluster-installed)

# RESTART=1 throws away the checkpoints of interrupted runs instead of resuming them.
RESTART ?=
# A path as one shell word, whatever it holds (spaces, quotes, non-ASCII): make passes
# DATA, OUTPUT, CSV and MODEL to the shell as $(call q,...).
q = '$(subst ','\'',$(1))'
DATA_FLAGS := $(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(DATA),--data $(call q,$(DATA))) \
	$(if $(MAX_SAMPLES),--max-samples $(MAX_SAMPLES)) $(if $(RESTART),--restart)
SEED_FLAG := $(if $(SEED),--seed $(SEED))
FLAGS := $(DATA_FLAGS) $(SEED_FLAG) --output $(call q,$(OUTPUT))

.PHONY: help venv notebook notebook-refresh run-all reproduce seeds compare stanford-csv bench bench-demo demo test test-slow test-backends test-cluster test-browser lint format clean $(LISTINGS:.py=) $(notdir $(EXTENDED:.py=))

help:
	@echo "make run-all     train the four variants, JOBS at a time, and compare them (results/RESULTS.md, curves.png)"
	@echo "                 an interrupted run resumes from its last finished epoch (RESTART=1: start again)"
	@echo "make notebook    execute tutorial.ipynb and tutorial.zh-CN.ipynb into results/notebook/"
	@echo "make notebook-refresh  execute the tracked notebooks in place (their committed outputs)"
	@echo "make lstm_basic  train one variant (likewise lstm_dropout_layers, lstm_recurrent_dropout, cnn_lstm)"
	@echo "make lstm_masked train one extension (likewise cnn_lstm_dropout, bidirectional_lstm: extensions/)"
	@echo "                 EXTENSIONS=1: make run-all and make seeds train the three extensions too"
	@echo "make reproduce   train VARIANT twice with the same seed and check the results are identical"
	@echo "make seeds       train the variants once per seed in SEEDS, JOBS at a time; compare them (SEEDS.md, seeds.png)"
	@echo "make compare     the report of the runs in OUTPUT again (RESULTS.md, curves.png; OVER_SEEDS=1: SEEDS.md)"
	@echo "make stanford-csv  write the Stanford archive DATA as a CSV file of reviews (CSV=reviews.csv)"
	@echo "make bench       time every model's training and evaluation step against the tutorial's listing (results/bench.json)"
	@echo "make demo        a page on 127.0.0.1:PORT to try every model of OUTPUT on your own review (docs/demo.md)"
	@echo "make bench-demo  time the demo's answers to one review, one client and four at once"
	@echo "make test        run the tests (no network, tiny synthetic data)"
	@echo "make test-slow   sweeps killed, resumed and repeated for real on tiny data"
	@echo "make test-backends  the four scripts under JAX and PyTorch (builds .venv-jax, .venv-torch)"
	@echo "make test-cluster   make seeds on a Dask scheduler and two workers started on 127.0.0.1"
	@echo "make test-browser   the demo page in headless Chromium (Debian's chromium and chromium-driver)"
	@echo "variables: BACKEND=tensorflow|jax|torch DATA=path EPOCHS=N SEED=N (default: the scripts' own) MAX_SAMPLES=N OUTPUT=$(OUTPUT) VARIANT=$(VARIANT) SEEDS=\"$(SEEDS)\" JOBS=N (default: one per core) SCRIPTS=... CLUSTER=tcp://host:8786 (docs/cluster.md)"

venv: $(VENV)/.installed

# pip shows its progress (the first install downloads TensorFlow) and takes its index from
# its own configuration (PIP_INDEX_URL, pip.conf), so a mirror set there is the one used.
$(VENV)/.installed: $(REQUIREMENTS) requirements-common.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r $(REQUIREMENTS)
	touch $@

$(VENV)/.cluster-installed: requirements-cluster.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-cluster.txt
	touch $@

run-all: venv $(CLUSTER_VENV)
	$(PY) -m tools.run_all --scripts $(SCRIPTS) $(JOBS_FLAG) $(CLUSTER_FLAG) $(FLAGS)

$(LISTINGS:.py=): venv
	$(PY) $@.py $(FLAGS)

# The extensions run as modules of the checkout, so that they find common.py.
$(notdir $(EXTENDED:.py=)): venv
	$(PY) -m extensions.$@ $(FLAGS)

reproduce: venv
	$(PY) -m tools.run_all --reproduce $(VARIANT) $(FLAGS)

# Resumable: runs already done with the same flags are skipped.
seeds: venv $(CLUSTER_VENV)
	$(PY) -m tools.run_all --seeds $(SEEDS) $(JOBS_FLAG) $(CLUSTER_FLAG) --scripts $(SCRIPTS) $(DATA_FLAGS) \
		--output $(call q,$(OUTPUT)/seeds)

# Executed copies of tutorial.ipynb and tutorial.zh-CN.ipynb (NOTEBOOKS=... for one) in
# OUTPUT/notebook/; the tracked notebooks stay as they are.
NOTEBOOKS ?=
notebook: venv
	$(PY) -m tools.notebook $(NOTEBOOKS) $(DATA_FLAGS) $(SEED_FLAG) --output $(call q,$(OUTPUT)/notebook)

# The tracked notebooks executed in place with their own parameters, for the outputs
# committed: put the data in data/ first (README), then commit them.
notebook-refresh: venv
	$(PY) -m tools.notebook --refresh

# The report of finished runs again: OUTPUT's RESULTS.md, or with OVER_SEEDS=1 the one of
# make seeds' runs (OUTPUT/seeds/SEEDS.md).
OVER_SEEDS ?=
compare: venv
	$(PY) -m tools.compare $(if $(OVER_SEEDS),--seeds --results $(call q,$(OUTPUT)/seeds),--results $(call q,$(OUTPUT)))

CSV ?= reviews.csv
stanford-csv: venv
	$(PY) -m tools.stanford_csv $(call q,$(DATA)) $(call q,$(CSV))

# A page on this machine to try the models of OUTPUT side by side (docs/demo.md).
# PORT=8001 serves on another port; HOST=0.0.0.0 lets other machines use it too.
PORT ?= 8000
HOST ?= 127.0.0.1
demo: venv
	$(PY) -m tools.demo --output $(call q,$(OUTPUT)) --host $(HOST) --port $(PORT)

# The demo's answer time for one review through the models of OUTPUT (docs/demo.md).
bench-demo: venv
	$(PY) -m tools.bench demo --models $(call q,$(OUTPUT)) --output $(call q,$(OUTPUT)/bench-demo)

# The benchmarks of tools/bench.py, one subcommand each.
bench: venv
	$(PY) -m tools.bench steps --output $(call q,$(OUTPUT))

test: venv
	PYTHONDONTWRITEBYTECODE=1 $(PY) -m pytest -q -rs -p no:cacheprovider -m "not backends and not cluster and not slow" tests

# Whole sweeps killed, resumed or repeated on tiny data: make reproduce, make seeds
# skipping what is done, Ctrl-C and resuming, a run killed in its second epoch, make bench;
# and the real data set, where ../shared/data holds it (CI runs it after make test).
test-slow: venv
	PYTHONDONTWRITEBYTECODE=1 $(PY) -m pytest -q -p no:cacheprovider -m "slow and not cluster" tests

# The four scripts under JAX and PyTorch on tiny data, each in its own environment, and a
# JAX model read under TensorFlow (tests/test_backends.py; CI runs it after make test).
test-backends: venv
	$(MAKE) venv BACKEND=jax
	$(MAKE) venv BACKEND=torch
	PYTHONDONTWRITEBYTECODE=1 $(PY) -m pytest -q -p no:cacheprovider -m backends tests

# make seeds through a Dask scheduler and two workers that the tests start on 127.0.0.1
# (tests/test_cluster.py; CI runs it after make test-backends).
test-cluster: venv $(VENV)/.cluster-installed
	PYTHONDONTWRITEBYTECODE=1 $(PY) -m pytest -q -p no:cacheprovider -m cluster tests

# The demo page in headless Chromium from the system packages (tests/test_demo.py; make
# test skips it where there is no browser, this target fails instead).
test-browser: venv
	PYTHONDONTWRITEBYTECODE=1 REQUIRE_BROWSER=1 $(PY) -m pytest -q -p no:cacheprovider -m browser tests

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache
