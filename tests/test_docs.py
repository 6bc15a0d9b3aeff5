"""The documentation site builds from a checkout with warnings as errors, and
the public API it documents has type hints and structured docstrings."""
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tutorial_kit as tk

ROOT = Path(__file__).resolve().parents[1]

#: The public API's top-level functions and methods, each with type hints and
#: a docstring whose parameters are NumPy-style sections.
PUBLIC = [tk.load_file, tk.load_string, tk.load_dict, tk.traverse, tk.render, tk.write_bitmap,
          tk.read_bitmap, tk.util.write_bitmap, tk.ParameterMap.keep, tk.ParameterMap.update,
          tk.ParameterMap.keys, tk.Optimizer.step, tk.Optimizer.set_learning_rate, tk.SGD.__init__,
          tk.Adam.__init__]


@pytest.mark.parametrize('function', PUBLIC, ids=lambda f: f.__qualname__)
def test_public_api_is_typed(function):
    signature = inspect.signature(function)
    assert signature.return_annotation is not inspect.Signature.empty, function
    for name, parameter in signature.parameters.items():
        if name != 'self':
            assert parameter.annotation is not inspect.Parameter.empty, f'{function.__qualname__}({name})'


def test_help_of_render_has_parameter_sections():
    text = inspect.getdoc(tk.render)
    for section in ('Parameters\n----------', 'Returns\n-------', 'Raises\n------'):
        assert section in text
    for name in ('scene', 'params', 'sensor', 'seed', 'spp', 'spp_grad'):
        assert f'\n{name} : ' in text, name
    for function in (tk.load_file, tk.load_dict, tk.traverse):
        assert 'Parameters\n----------' in inspect.getdoc(function) and 'Returns\n-------' in inspect.getdoc(function)


@pytest.mark.docs
@pytest.mark.slow
def test_documentation_builds_without_warnings(tmp_path):
    pytest.importorskip('sphinx')
    pytest.importorskip('myst_nb')
    result = subprocess.run([sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b', 'html',
                             '-d', str(tmp_path / 'doctrees'), str(ROOT / 'docs'), str(tmp_path / 'html')],
                            capture_output=True, text=True, timeout=900, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    html = tmp_path / 'html'
    # Every notebook of the course has its page, found by the glob.
    for notebook in (ROOT / 'notebooks').glob('*.ipynb'):
        assert (html / 'course' / f'{notebook.stem}.html').is_file(), notebook.name
    # With its stored pictures, the API reference with its sections, the Mitsuba 3 table.
    assert '<img' in (html / 'course' / '02_rendering.html').read_text()
    api = (html / 'api.html').read_text()
    assert 'Parameters' in api and 'Returns' in api and 'tutorial_kit.render' in api
    assert 'Mitsuba 2 (autodiff tutorial)' in (html / 'mitsuba3.html').read_text()
    for page in ('install', 'instructors', 'changelog'):
        assert (html / f'{page}.html').is_file()
