# One-command start and test. See README.md.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.deps-installed

export DJANGO_SETTINGS_MODULE ?= laowu.settings.local

.PHONY: run test deps system-deps test-system-deps fonts migrate demo lint bench bench-scale clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $@

deps: $(STAMP)

system-deps:
	@scripts/system-deps.sh

# What the tests start themselves besides (nginx and Redis on free ports, tests/infra).
test-system-deps:
	@scripts/system-deps.sh --test

# The printed sheets' GB 2312 font cuts (laowu/documents/fonts.py); skipped when up to date.
fonts: system-deps deps
	$(BIN)/python manage.py build_sheet_fonts

migrate: deps
	$(BIN)/python manage.py migrate --noinput

demo: migrate fonts
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo

# The SMS worker (manage.py run_worker, docs/background-work.md) runs beside the dev server and
# stops with it: Ctrl+C, or the server ending, sends it SIGTERM through the EXIT trap.
run: system-deps demo
	@echo "平台地址：http://127.0.0.1:8000（短信由后台进程 run_worker 发送）"
	@$(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: test-system-deps deps fonts
	@scripts/test.sh

lint: deps
	$(BIN)/ruff check laowu tests scripts
	$(BIN)/ruff format --check laowu tests scripts
	$(BIN)/lint-imports
	$(BIN)/bandit -r laowu -ll -q

# `make bench BASELINE=main~3` also measures that commit, alternating with this one, and compares.
bench: system-deps deps fonts
	$(BIN)/python scripts/bench.py $(if $(BASELINE),--baseline $(BASELINE))

bench-scale: system-deps deps fonts
	$(BIN)/python scripts/bench_scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
