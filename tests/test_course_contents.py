"""The course's contents agree with its notebooks, and every exercise's check fails on a wrong answer."""
import copy
import importlib.util
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_tool():
    spec = importlib.util.spec_from_file_location('course_contents', ROOT / 'tools' / 'course_contents.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = load_tool()
COURSE = TOOL.course_notebooks()


def read(path):
    return json.loads(path.read_text())


def test_readme_and_contents_page_match_the_notebooks_metadata():
    readme = (ROOT / 'README.md').read_text()
    assert TOOL.readme_text(readme) == readme, \
        'README.md and the notebooks disagree: run python tools/course_contents.py'
    first_cell = ''.join(read(TOOL.CONTENTS)['cells'][0]['source'])
    assert TOOL.contents_cell_text(first_cell) == first_cell, \
        '00_contents.ipynb and the notebooks disagree: run python tools/course_contents.py'


def test_the_table_lists_every_notebook_of_the_course_in_order():
    numbers = [line.split(' | ')[0].strip('| ') for line in TOOL.table().splitlines()[2:]]
    assert numbers == [path.name[:2] for path in COURSE]
    assert numbers[:7] == ['01', '02', '03', '04', '05', '06', '07']


@pytest.mark.parametrize('path', COURSE, ids=lambda p: p.name[:2])
def test_each_notebook_states_what_the_contents_need_and_runs_in_a_minute(path):
    entry = TOOL.metadata(path)
    assert entry['title'] and entry['teaches'] and entry['after']
    assert 0 < entry['run_time_s'] < 60


def test_missing_metadata_is_named(tmp_path, monkeypatch):
    bare = tmp_path / '01_bare.ipynb'
    bare.write_text(json.dumps({'cells': [], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}))
    with pytest.raises(TOOL.ContentsError, match='01_bare.ipynb: no "tutorial_kit" entry'):
        TOOL.metadata(bare)
    monkeypatch.setattr(TOOL, 'course_notebooks', lambda: [bare])
    with pytest.raises(TOOL.ContentsError, match='markers'):
        TOOL.replace_between('no markers here', TOOL.TABLE, 'x', 'README.md')


def test_the_mitsuba3_map_names_only_their_tutorials_and_our_notebooks():
    rows = TOOL.mitsuba3_map().splitlines()[2:]
    assert len(rows) >= len(TOOL.MITSUBA3_INVERSE_TUTORIALS)
    assert any('object_pose_estimation' in row and '06_visibility_and_pose.ipynb' in row for row in rows)


def solution_cells(notebook):
    return [i for i, cell in enumerate(notebook['cells']) if 'solution' in cell['metadata'].get('tags', [])]


@pytest.mark.parametrize('path', COURSE, ids=lambda p: p.name[:2])
def test_every_solution_is_hidden_and_has_a_wrong_answer_to_test_its_check(path):
    notebook = read(path)
    solutions = solution_cells(notebook)
    assert solutions, f'{path.name} has no exercise solution tagged "solution"'
    for index in solutions:
        cell = notebook['cells'][index]
        assert cell['metadata'].get('jupyter', {}).get('source_hidden'), f'{path.name} cell {index} is shown'
        assert cell['metadata'].get('tutorial_kit', {}).get('wrong_answer'), \
            f'{path.name} cell {index}: no wrong_answer in its metadata'


def check_cell_after(notebook, index):
    """The index of the exercise's check: the first code cell after the solution."""
    return next(i for i in range(index + 1, len(notebook['cells']))
                if notebook['cells'][i]['cell_type'] == 'code')


@pytest.mark.slow
@pytest.mark.parametrize('path', COURSE, ids=lambda p: p.name[:2])
def test_every_check_fails_on_a_wrong_answer(path):
    """Run the notebook with each solution replaced by its wrong answer: each check must raise."""
    nbformat = pytest.importorskip('nbformat')
    nbclient = pytest.importorskip('nbclient')
    if path.name.startswith('05_'):
        pytest.importorskip('torch')        # without PyTorch the notebook skips its exercise
    notebook = read(path)
    wrong = copy.deepcopy(notebook)
    solutions = solution_cells(notebook)
    for index in solutions:
        cell = wrong['cells'][index]
        cell['source'] = cell['metadata']['tutorial_kit']['wrong_answer']
    executed = nbformat.reads(json.dumps(wrong), as_version=4)
    client = nbclient.NotebookClient(executed, timeout=600, allow_errors=True,
                                     resources={'metadata': {'path': str(path.parent)}})
    client.execute()
    for index in solutions:
        outputs = executed.cells[check_cell_after(notebook, index)].outputs
        errors = [output for output in outputs if output.get('output_type') == 'error']
        assert errors and errors[0]['ename'] in ('ExerciseNotPassed', 'AssertionError'), \
            f'{path.name}: the check after cell {index} accepted a wrong answer'
