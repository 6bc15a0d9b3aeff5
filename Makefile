# Two commands on a fresh machine:
#   make demo   the tutorial on the bundled Cornell box  ->  out/
#   make test   run the test suite and the notebooks
#   make fuzz   run the fuzz tests long, with fresh random inputs
#   make lab    open the notebook series in JupyterLab
#   make docs   build the documentation site into docs/_build/html
# All create a virtual environment in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SPP    ?= 64

.PHONY: demo test fuzz lab docs bench clean

# The demo needs the package alone; the tests add the extras (what CI runs:
# the test tools, Mitsuba 3 to compare with, JupyterLab for the notebooks,
# Sphinx for the documentation, PyTorch for its bridge), once, on first use.
EXTRAS := test,mitsuba,notebooks,docs,torch,shape

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(BIN)/activate

$(VENV)/.extras: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(VENV)/.extras

# The tutorial: a reference render, the red wall recovered by gradient
# descent (out/convergence.png), and a forward-mode gradient image (out/out.png).
demo: $(BIN)/activate
	@mkdir -p out
	$(BIN)/python -m tutorial_kit render scenes/cbox/cbox.xml --spp $(SPP) -o out/cbox.png
	$(BIN)/python examples/invert_cbox.py -o out
	$(BIN)/python examples/forward_diff.py -o out

# The notebooks run under nbval in the same environment; --nbval-lax checks
# only the outputs marked as deterministic. notebooks/ is passed only when it
# holds notebooks, since pytest rejects a path that does not exist.
test: $(VENV)/.extras
	$(BIN)/python -m pytest tests --nbval-lax --nbval-current-env $(if $(wildcard notebooks/*.ipynb),notebooks)

# The fuzz tests (tests/test_fuzz.py) run a few seeded cases in `make test`;
# here 50 times as many, with fresh random inputs. FUZZ_SECONDS sets a time
# budget instead, shared by the tests, each running rounds of fresh inputs
# until its share is spent (`make fuzz FUZZ_SECONDS=600`: about ten minutes).
# FUZZ_ARGS passes more pytest options, e.g. FUZZ_ARGS='-k mesh'.
FUZZ_SECONDS ?=
fuzz: $(BIN)/activate
	@$(BIN)/python -c 'import hypothesis' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[test]'
	TK_FUZZ=1 TK_FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest tests/test_fuzz.py -p no:cacheprovider $(FUZZ_ARGS)

# JupyterLab refuses to run as root unless told; containers and CI machines are root.
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

# Environments made before the notebooks extra existed get it here.
lab: $(BIN)/activate
	@$(BIN)/python -c 'import jupyterlab, ipywidgets' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[notebooks]'
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/

# The documentation site (docs/README.md): HTML in docs/_build/html.
docs: $(BIN)/activate
	@$(BIN)/python -c 'import sphinx, myst_nb' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[docs]'
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(VENV)/.extras
	$(BIN)/python benchmarks/render.py
	$(BIN)/python benchmarks/invert_cbox.py
	$(BIN)/python benchmarks/mitsuba3_tutorial.py
	$(BIN)/python benchmarks/readme_tables.py

clean:
	rm -rf $(VENV) out .pytest_cache docs/_build docs/course
