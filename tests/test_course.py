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


def test_existing_files_are_kept_and_listed_and_missing_ones_written(tmp_path, capsys):
    assert main(['notebooks', str(tmp_path)]) == 0
    edited = next((tmp_path / 'notebooks').glob('*.ipynb'))
    edited.write_text('my notes')
    missing = tmp_path / 'scenes' / 'cbox' / 'cbox.xml'
    missing.unlink()
    capsys.readouterr()
    assert main(['notebooks', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'wrote 1 files' in out and f'kept {len(course_files()) - 1} files' in out and edited.name in out
    assert edited.read_text() == 'my notes' and missing.is_file()


def test_reset_restores_one_notebook_and_keeps_the_others(tmp_path, capsys):
    copy = write_course(tmp_path)
    notebooks = sorted((tmp_path / 'notebooks').glob('*.ipynb'))
    for notebook in notebooks[:3]:
        notebook.write_text('my notes')
    number = notebooks[1].name.split('_')[0]
    assert main(['notebooks', str(tmp_path), '--reset', number]) == 0
    assert 'my notes' not in notebooks[1].read_text()
    assert notebooks[0].read_text() == notebooks[2].read_text() == 'my notes'
    assert f'notebooks ({notebooks[1].name})' in capsys.readouterr().out
    assert main(['notebooks', str(tmp_path), '--reset', notebooks[2].stem]) == 0
    assert notebooks[0].read_text() == 'my notes' and 'my notes' not in notebooks[2].read_text()
    assert main(['notebooks', str(tmp_path), '--force']) == 0
    assert all('my notes' not in notebook.read_text() for notebook in notebooks)
    assert len(copy.written) == len(course_files())


def test_a_reset_name_that_matches_no_notebook_is_refused(tmp_path, capsys):
    write_course(tmp_path)
    assert main(['notebooks', str(tmp_path), '--reset', '99']) == 1
    assert '"99" names no notebook' in capsys.readouterr().err


def test_a_file_in_the_way_of_the_folder(tmp_path, capsys):
    target = tmp_path / 'course'
    target.write_text('')
    assert main(['notebooks', str(target)]) == 1
    assert 'not a folder' in capsys.readouterr().err


def test_a_file_in_the_way_of_a_subfolder_writes_nothing(tmp_path, capsys):
    (tmp_path / 'scenes').write_text('not a folder')
    assert main(['notebooks', str(tmp_path)]) == 1
    assert 'scenes exists and is not a folder; nothing was written' in capsys.readouterr().err
    assert not (tmp_path / 'notebooks').exists()


def test_links_are_not_written_through(tmp_path, capsys):
    outside = tmp_path / 'outside.ipynb'
    course = tmp_path / 'course'
    (course / 'notebooks').mkdir(parents=True)
    first = next(name for name in course_files() if name.suffix == '.ipynb')
    (course / first).symlink_to(outside)        # dangling: it would create a file outside
    assert main(['notebooks', str(course)]) == 1
    assert 'symbolic link' in capsys.readouterr().err
    assert not outside.exists() and not (course / 'scenes').exists()


def test_version():
    result = subprocess.run([sys.executable, '-m', 'tutorial_kit', '--version'],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == f'tutorial_kit {tk.__version__}'
