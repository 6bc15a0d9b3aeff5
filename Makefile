# Two commands on a fresh machine:
#   make demo   the tutorial on the bundled Cornell box  ->  out/
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

# The tutorial: a reference render, the red wall recovered by gradient
# descent (out/convergence.png), and a forward-mode gradient image (out/out.png).
demo: $(BIN)/activate
	@mkdir -p out
	$(BIN)/python -m tutorial_kit render scenes/cbox/cbox.xml --spp $(SPP) -o out/cbox.png
	$(BIN)/python examples/invert_cbox.py -o out
	$(BIN)/python examples/forward_diff.py -o out

test: $(BIN)/activate
	$(BIN)/python -m pytest

bench: $(BIN)/activate
	$(BIN)/python benchmarks/render.py
	$(BIN)/python benchmarks/invert_cbox.py

clean:
	rm -rf $(VENV) out .pytest_cache
