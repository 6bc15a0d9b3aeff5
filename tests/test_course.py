"""The course ships with the package: ``tutorial-kit notebooks DIR`` and ``--version``."""
import json
import subprocess
import sys


import tutorial_kit as tk
from tutorial_kit.cli import main
from tutorial_kit.course import course_files, write_course


def test_the_course_has_the_notebooks_and_their_scenes():
    names = [str(name) for name in course_files()]
    notebooks = [name for name in names if name.endswith('.ipynb')]
    assert len(notebooks) >= 5 and all(name.startswith('notebooks/') for name in notebooks)
    assert 'scenes/cbox/cbox.xml' in names and 'scenes/cbox/meshes/cbox_redwall.obj' in names


def test_every_scene_a_notebook_opens_is_in_the_course(tmp_path):
    write_course(tmp_path)
    for notebook in (tmp_path / 'notebooks').glob('*.ipynb'):
        for cell in json.loads(notebook.read_text())['cells']:
            source = ''.join(cell['source'])
            for path in set(part.split("'")[0] for part in source.split("'../")[1:]):
                if path.startswith('scenes/'):
                    assert (tmp_path / path).is_file(), f'{notebook.name} opens ../{path}'


def test_an_existing_file_is_never_overwritten_without_force(tmp_path, capsys):
    assert main(['notebooks', str(tmp_path)]) == 0
    edited = next((tmp_path / 'notebooks').glob('*.ipynb'))
    edited.write_text('my notes')
    other = tmp_path / 'scenes' / 'cbox' / 'cbox.xml'
    other.unlink()
    assert main(['notebooks', str(tmp_path)]) == 1
    assert 'already exist' in capsys.readouterr().err
    assert edited.read_text() == 'my notes' and not other.exists()    # nothing was written
    assert main(['notebooks', str(tmp_path), '--force']) == 0
    assert edited.read_text() != 'my notes' and other.is_file()


def test_a_file_in_the_way_of_the_folder(tmp_path, capsys):
    target = tmp_path / 'course'
    target.write_text('')
    assert main(['notebooks', str(target)]) == 1
    assert 'not a folder' in capsys.readouterr().err


def test_version():
    result = subprocess.run([sys.executable, '-m', 'tutorial_kit', '--version'],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == f'tutorial_kit {tk.__version__}'
