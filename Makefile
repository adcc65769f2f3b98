# One task runner. `make demo` and `make test` install what they need first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast lint format bench explain app worker api clean train-matcher

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Crossfade needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest -W error --cov=engine --cov-report=term:skip-covered --cov-fail-under=80 --durations=15 $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -W error -x -q -m "not slow and not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check engine tests scripts pages app.py
	$(BIN)/ruff format --check engine tests scripts pages app.py
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix engine tests scripts pages app.py
	$(BIN)/ruff format engine tests scripts pages app.py

bench: $(STAMP)
	$(BIN)/python scripts/bench_matching.py
	$(BIN)/python scripts/bench_providers.py
	$(BIN)/python scripts/bench_retrieval.py
	$(BIN)/python scripts/bench_store.py

# Train the shipped matcher model (engine/matching/models/matcher-v1.json).
MATCH_DATA ?= ../shared/data/matching/itunes-amazon
SEED ?= 14
train-matcher: $(STAMP)
	$(BIN)/python scripts/train_matcher.py --data $(MATCH_DATA) --seed $(SEED) --out engine/matching/models/matcher-v1.json

explain: $(STAMP)
	$(BIN)/python scripts/explain.py

app: $(STAMP)
	$(BIN)/streamlit run app.py

worker: $(STAMP)
	$(BIN)/crossfade worker

api: $(STAMP)
	$(BIN)/crossfade api

clean:
	rm -rf $(VENV) .crossfade .pytest_cache .mypy_cache .ruff_cache .coverage demo-output
