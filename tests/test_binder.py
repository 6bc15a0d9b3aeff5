"""binder/ alone is enough to run the notebooks.

Binder builds an image from binder/requirements.txt and binder/postBuild and
nothing else. This test does the same in a fresh virtual environment (pip's
cache keeps repeated runs quick) and runs every notebook in it under nbval,
so a missing or mis-pinned package, or a tutorial_kit install without its
libLLVM start-up hook, fails here rather than on Binder.
"""
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.binder]

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / 'binder'


def _run(command, env, timeout, what):
    start = time.monotonic()
    result = subprocess.run(command, cwd=REPO, env=env, timeout=timeout, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.monotonic() - start
    assert result.returncode == 0, f'{what} failed ({result.returncode}):\n{result.stdout[-6000:]}'
    return result.stdout, seconds


def test_notebooks_run_in_an_environment_built_from_binder(tmp_path, record_property):
    notebooks = sorted((REPO / 'notebooks').glob('*.ipynb'))
    if not notebooks:
        pytest.skip('notebooks/ holds no notebooks yet')
    # The pins fit the Python that binder/runtime.txt asks for (numpy and
    # IPython, for one, have left 3.10 behind); another one cannot install them.
    wanted = (BINDER / 'runtime.txt').read_text().strip().removeprefix('python-')
    running = '.'.join(map(str, sys.version_info[:2]))
    if running != wanted:
        pytest.skip(f'Binder builds with Python {wanted} (binder/runtime.txt); this is Python {running}')

    env_dir = tmp_path / 'binder-env'
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / 'bin' / 'python'

    env = {key: value for key, value in os.environ.items()
           if key not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV')}
    # This process's start-up hook has already set the variable; the new
    # environment must find its own libLLVM, so it must not inherit ours.
    env.pop('DRJIT_LIBLLVM_PATH', None)
    env['VIRTUAL_ENV'] = str(env_dir)
    env['PATH'] = f'{env_dir / "bin"}{os.pathsep}{env.get("PATH", "")}'
    env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1'
    # Keep the kernels' IPython and Jupyter state out of the user's home.
    env['IPYTHONDIR'] = str(tmp_path / 'ipython')
    env['JUPYTER_DATA_DIR'] = str(tmp_path / 'jupyter-data')

    timings = {}
    _, timings['pip install -r binder/requirements.txt'] = _run(
        [str(python), '-m', 'pip', 'install', '--quiet', '-r', str(BINDER / 'requirements.txt')],
        env, 1200, 'pip install -r binder/requirements.txt')
    post_build = BINDER / 'postBuild'
    if post_build.exists():
        assert os.access(post_build, os.X_OK), 'binder/postBuild must be executable'
        _, timings['binder/postBuild'] = _run([str(post_build)], env, 600, 'binder/postBuild')

    # A regular (not editable) install carries the hook that finds libLLVM.
    site_packages = Path(subprocess.check_output(
        [str(python), '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        env=env, text=True).strip())
    for name in ('tutorial_kit.pth', '_tutorial_kit_llvm.py'):
        assert (site_packages / name).exists(), f'{name} is not installed into site-packages'
    out, _ = _run([str(python), '-c', 'import drjit as dr; print(dr.detail.llvm_version()[0])'],
                  env, 120, 'importing drjit in the Binder environment')
    assert int(out.split()[-1]) >= 16, out

    # The pytest script, not `python -m pytest`: the latter would put the
    # repository on sys.path and hide a broken install of tutorial_kit.
    _, timings['pytest --nbval-lax notebooks'] = _run(
        [str(env_dir / 'bin' / 'pytest'), '-p', 'no:cacheprovider', '--nbval-lax',
         '--nbval-current-env', str(REPO / 'notebooks')],
        env, 1800, 'pytest --nbval-lax notebooks/ in the Binder environment')

    for step, seconds in timings.items():
        record_property(step, round(seconds, 1))
        print(f'{step}: {seconds:.0f} s', file=sys.stderr)
    # Half a gigabyte; pytest would keep it with its last few temporary folders.
    shutil.rmtree(env_dir, ignore_errors=True)
