# Set-up is part of every target: a fresh machine needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := out/demo
WORKERS ?= 2
# MammothTok at the paper's 1e-4 for 40 steps gave two different images identical codes (the
# AR plan and the DiT's visual-token condition then carry nothing); 400 steps at 1e-3 encode
# object, colour and place (reconstruction MSE 0.03 against 0.15).
DEMO_TOK := --set optim.lr.mammothtok=1e-3
# A tiny DiT trained from scratch for minutes needs far larger learning rates than the paper's
# (caption dropout, which gives guidance its unconditional branch, is on by default).
DEMO_PRE1 := --set optim.lr.experts=1e-3 --set optim.lr.alignment=3e-3 --set optim.lr.dit=3e-3
DEMO_GENEVAL := --detector shapes --tags single_object,colors --n-samples 2 --steps 20 \
	--out $(DEMO)/results --no-progress

.PHONY: demo test test-fast browser lint bench clean dashboard

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The CPU wheel of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m corpus sample $(DEMO)/raw --size small
	$(BIN)/python -m corpus ingest $(DEMO)/raw/t2i $(DEMO)/raw/t2i_jsonl/metadata.jsonl \
		$(DEMO)/raw/edits/edits.jsonl $(DEMO)/raw/vqa/conversations.json \
		--out $(DEMO)/shapes --workers $(WORKERS) --verify decode
	$(BIN)/python -m corpus validate $(DEMO)/shapes
	$(BIN)/python -m corpus stats $(DEMO)/shapes
	$(BIN)/python -m filters run recipes/demo.yaml --input $(DEMO)/shapes --out $(DEMO)/curated \
		--workers $(WORKERS) --no-progress
	$(BIN)/python -m train --stage tok --config train/configs/tiny_cpu.toml \
		--manifest $(DEMO)/curated/manifest.parquet --out $(DEMO)/train/tok --steps 400 $(DEMO_TOK)
	$(BIN)/python -m train --stage pre1 --config train/configs/tiny_cpu.toml \
		--manifest $(DEMO)/curated/manifest.parquet --init $(DEMO)/train/tok/final \
		--out $(DEMO)/train/pre1 --steps 300 $(DEMO_PRE1)
	$(BIN)/python -m evaluation.geneval $(DEMO)/train/tok/final --run untrained $(DEMO_GENEVAL)
	$(BIN)/python -m evaluation.geneval $(DEMO)/train/pre1/final --run trained $(DEMO_GENEVAL)
	@$(BIN)/python -c "import json; print('GenEval overall (shapes detector), untrained vs trained:', \
		*(json.load(open(f'$(DEMO)/results/{r}/geneval/scores.json'))['overall'] \
		for r in ('untrained', 'trained')))"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The dashboard's browser test drives a system Chromium (no browser download at test time): the
# one on PATH (or $CHROMIUM and $CHROMEDRIVER), else Debian's, installed with apt-get as root or
# with password-less sudo; otherwise one line says what to install. It never skips.
APT_BROWSER := apt-get update -q && apt-get install -y -q --no-install-recommends chromium chromium-driver
browser:
	@if { [ -n "$$CHROMIUM" ] || command -v chromium || command -v chromium-browser; } >/dev/null \
		&& { [ -n "$$CHROMEDRIVER" ] || command -v chromedriver; } >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then sh -c '$(APT_BROWSER)'; \
	elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then sudo sh -c '$(APT_BROWSER)'; \
	else echo "make test: the dashboard's browser test needs Chromium and ChromeDriver; install them \
	(Debian/Ubuntu: apt-get install chromium chromium-driver) or set CHROMIUM and CHROMEDRIVER to \
	their paths" >&2; exit 1; fi

# The full suite, as CI runs it.
test: lint browser
	$(BIN)/python -m pytest -q

# The edit-test loop (under 3 minutes): lint and the unit tests, without the tests marked slow
# (browser, torchrun, SIGKILL, dask clusters, long training).
test-fast: lint
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	for b in ingest filters models train eval understanding dashboard; do \
		$(BIN)/python -m bench.$$b || exit 1; done

dashboard: $(STAMP)
	$(BIN)/streamlit run dashboards/app.py -- --results $(DEMO)/results --corpus $(DEMO) \
		--logs $(DEMO)/train

clean:
	rm -rf $(VENV) out *.egg-info
