"""The committed notebooks: no execution timestamps, solutions tagged alike,
and a student's copy without them (``tutorial-kit notebooks --no-solutions``)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tutorial_kit.cli import main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / 'notebooks').glob('*.ipynb'))
TOOL = ROOT / 'tools' / 'strip_notebook_metadata.py'


def cells(path):
    return json.loads(Path(path).read_text(encoding='utf-8'))['cells']


def is_solution(cell):
    return 'solution' in cell['metadata'].get('tags', [])


@pytest.mark.parametrize('notebook', NOTEBOOKS, ids=lambda path: path.stem)
def test_no_execution_timestamps(notebook):
    timed = [index for index, cell in enumerate(cells(notebook))
             if {'execution', 'ExecuteTime'} & set(cell['metadata'])]
    assert not timed, (f'cells {timed} of {notebook.name} keep execution timestamps: '
                       f'run python tools/strip_notebook_metadata.py')


@pytest.mark.parametrize('notebook', NOTEBOOKS, ids=lambda path: path.stem)
def test_solutions_are_tagged_and_hidden(notebook):
    """A code cell that presents itself as a solution is tagged ``solution`` and
    collapsed, and every notebook with an exercise has one."""
    notebook_cells = cells(notebook)
    for index, cell in enumerate(notebook_cells):
        if cell['cell_type'] == 'code' and ''.join(cell['source']).lstrip().startswith('# Solution'):
            assert is_solution(cell), f'cell {index} of {notebook.name} is a solution without the tag'
        if is_solution(cell):
            assert cell['metadata'].get('jupyter', {}).get('source_hidden'), \
                f'the solution in cell {index} of {notebook.name} is not collapsed'
    has_exercise = any(cell['cell_type'] == 'markdown' and '## Exercise' in ''.join(cell['source'])
                       for cell in notebook_cells)
    assert has_exercise <= any(map(is_solution, notebook_cells)), f'{notebook.name}: an exercise without a tagged solution'


def test_student_copy_has_no_solutions_and_everything_else(tmp_path, capsys):
    assert main(['notebooks', str(tmp_path / 'student'), '--no-solutions']) == 0
    assert 'without their solutions' in capsys.readouterr().out
    assert main(['notebooks', str(tmp_path / 'teacher')]) == 0
    solutions = 0
    for original in NOTEBOOKS:
        student, teacher = (cells(tmp_path / who / 'notebooks' / original.name) for who in ('student', 'teacher'))
        assert not any(map(is_solution, student))
        assert student == [cell for cell in teacher if not is_solution(cell)]
        solutions += len(teacher) - len(student)
    assert solutions >= len(NOTEBOOKS) - 1          # every notebook but the contents has one
    assert (tmp_path / 'student' / 'scenes' / 'cbox' / 'cbox.xml').read_bytes() == \
        (ROOT / 'scenes' / 'cbox' / 'cbox.xml').read_bytes()


def test_the_strip_tool_removes_timestamps_only(tmp_path):
    notebook = json.loads(NOTEBOOKS[1].read_text(encoding='utf-8'))
    notebook['cells'][0]['metadata']['execution'] = {'iopub.status.busy': '2026-01-01T00:00:00Z'}
    notebook['cells'][-1]['metadata']['ExecuteTime'] = {'end_time': '2026-01-01T00:00:01Z'}
    path = tmp_path / 'timed.ipynb'
    path.write_text(json.dumps(notebook), encoding='utf-8')
    run = lambda *args, **kw: subprocess.run([sys.executable, str(TOOL), *args], capture_output=True,
                                            text=True, timeout=60, **kw)
    check = run('--check', str(path))
    assert check.returncode == 1 and 'timed.ipynb' in check.stdout
    assert run(str(path)).returncode == 0 and run('--check', str(path)).returncode == 0
    # As a git clean filter: stdin to stdout, the committed file's bytes exactly.
    filtered = run('--stdin', input=json.dumps(notebook))
    assert filtered.returncode == 0 and filtered.stdout == path.read_text(encoding='utf-8')
    assert json.loads(filtered.stdout)['cells'] == cells(NOTEBOOKS[1])
