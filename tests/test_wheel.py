"""The wheel carries the course: built from this checkout, installed apart from it."""
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_wheel_carries_the_course(tmp_path):
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', ROOT, '--no-deps', '-q', '-w', str(tmp_path / 'wheel')],
                   check=True, capture_output=True, timeout=600)
    wheel, = (tmp_path / 'wheel').glob('tutorial_kit-*.whl')
    names = zipfile.ZipFile(wheel).namelist()
    assert 'tutorial_kit/data/course/scenes/cbox/cbox.xml' in names
    assert sum(name.startswith('tutorial_kit/data/course/notebooks/') for name in names) >= 5
    assert any(name.endswith('/licenses/LICENSE') for name in names)

    # Installed into a folder of its own (its dependencies are this environment's),
    # run from outside the checkout, with nothing of the checkout on the path.
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target',
                    str(tmp_path / 'site'), str(wheel)], check=True, capture_output=True, timeout=600)
    environment = dict(os.environ, PYTHONPATH=str(tmp_path / 'site'))

    def tutorial_kit(*args):
        return subprocess.run([sys.executable, '-m', 'tutorial_kit', *args], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, timeout=600)

    where = subprocess.run([sys.executable, '-c', 'import tutorial_kit; print(tutorial_kit.__file__)'],
                           cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600)
    assert where.stdout.startswith(str(tmp_path / 'site')), where.stdout + where.stderr
    assert tutorial_kit('--version').stdout.startswith('tutorial_kit 0')
    result = tutorial_kit('notebooks', 'course')
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / 'course' / 'notebooks').glob('*.ipynb'))) >= 5
    assert (tmp_path / 'course' / 'scenes' / 'cbox' / 'meshes' / 'cbox_redwall.obj').is_file()
    again = tutorial_kit('notebooks', 'course')                         # keeps what is there
    assert again.returncode == 0 and 'wrote 0 files' in again.stdout and 'kept' in again.stdout
