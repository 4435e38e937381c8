# Sibao: `make run` serves the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the project needs: CJK fonts (pages, PDFs, screenshots), gettext (translations),
# Chromium (the browser test).
DEBIAN_PACKAGES := fonts-noto-cjk gettext chromium

.PHONY: install system-packages messages run serve test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

messages: $(STAMP) system-packages
	cd sibao && ../$(BIN)/sibao compilemessages -v0

install: $(STAMP) system-packages messages

run: install
	$(BIN)/sibao migrate -v0
	$(BIN)/sibao seed_demo --if-empty
	$(MAKE) --no-print-directory serve

serve:
	@echo "Sibao is serving on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/gunicorn sibao.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

test: install
	$(BIN)/sibao makemigrations --check --dry-run -v0
	$(BIN)/pytest -n 2 --dist loadfile

bench: install
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check sibao bench
	$(BIN)/ruff format --check sibao bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var/static
