# Two commands for a new user: `make demo` and `make test`. Both create or refresh .venv themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test venv clean

venv: $(STAMP)

# Reinstall only when the project's metadata changed (idempotent and fast otherwise).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[cli,serve,test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/activelab run --dataset digits --strategy random,least_confidence,margin,entropy,qbc_vote \
		--model logreg --initial 20 --batch-size 10 --rounds 20 --seeds 0-4 --out runs/demo --jobs 2
	@echo "Report: runs/demo/report.md"

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
