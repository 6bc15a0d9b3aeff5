# Two commands on a fresh machine:
#   make demo   render the bundled Cornell box  ->  out/cbox.png
#   make test   run the test suite
# Both create a virtual environment in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SPP    ?= 64

.PHONY: demo test bench clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,mitsuba]'
	touch $(BIN)/activate

demo: $(BIN)/activate
	@mkdir -p out
	$(BIN)/python -m tutorial_kit render scenes/cbox/cbox.xml --spp $(SPP) -o out/cbox.png

test: $(BIN)/activate
	$(BIN)/python -m pytest

bench: $(BIN)/activate
	$(BIN)/python benchmarks/render.py

clean:
	rm -rf $(VENV) out .pytest_cache
