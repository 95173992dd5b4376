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
	# torch first, pinned: the CPU wheel (a bare or indirect `torch` would fetch a CUDA build)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[cli,serve,test,torch,embed,ray,tasks]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/activelab run --dataset digits --strategy random,margin,entropy,coreset,badge,albl \
		--model logreg --initial 20 --batch-size 10 --rounds 20 --seeds 0-4 --out runs/demo --jobs 2
	# the other settings (issue 17), each on a real offline dataset, 5 seeds
	$(BIN)/activelab run --task regression --dataset chick_weights --seeds 0-4 --out runs/demo-regression --jobs 2
	$(BIN)/activelab run --task multilabel --dataset yeast --seeds 0-4 --out runs/demo-multilabel --jobs 2
	$(BIN)/activelab run --task stream --dataset phishing --budget 0.1 --seeds 0-4 --out runs/demo-stream --jobs 2
	@echo "Reports: runs/demo/report.md, runs/demo-{regression,multilabel,stream}/report.md"

# On the machine's cores, at most 4 (CI has 2: 618 s serial -> 527 s; the tests are mostly CPU,
# so a third worker on two cores gains nothing). The Ray tests share one worker (tests/conftest.py).
# A serial run: `make test PYTEST_WORKERS=0`.
PYTEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadgroup

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis

# Benchmarks against modAL, scikit-activeml and ALiPy (benchmarks/README.md). They get their own
# .venv-bench with the peers pinned in the `bench` extra, so activelab never depends on them.
# benchmarks/constraints.txt pins torch to the CPU build should a peer ever pull it in.
# Pass options through BENCH_ARGS, e.g. `make bench-speed BENCH_ARGS="--quick"`.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: bench-speed bench-labels

$(BENCH_STAMP): pyproject.toml benchmarks/constraints.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -c benchmarks/constraints.txt -e ".[bench]"
	@touch $(BENCH_STAMP)

bench-speed: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python benchmarks/speed.py $(BENCH_ARGS)

bench-labels: $(BENCH_STAMP)
	@test -d /usr/share/datasets/fashion-mnist || \
		(apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) || \
		echo "dataset-fashion-mnist not installed: that dataset will be skipped"
	$(BENCH_VENV)/bin/python benchmarks/labels.py $(BENCH_ARGS)
