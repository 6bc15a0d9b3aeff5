"""The examples run and write what they promise (few iterations, to stay fast)."""
import subprocess
import sys

import pytest

from helpers import ROOT


def run(script, *args):
    result = subprocess.run([sys.executable, f'examples/{script}', *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    # Not a terminal: no progress bar redrawn between the printed lines of a log.
    assert '\r' not in result.stderr and 'it/s' not in result.stderr, result.stderr
    return result.stdout


def test_invert_cbox(tmp_path):
    out = run('invert_cbox.py', '--iterations', '3', '--frames', '-o', str(tmp_path))
    assert 'Iteration 002: error=' in out
    for name in ('out_ref.png', 'out_final.png', 'convergence.png', 'iterations.gif'):
        assert (tmp_path / name).stat().st_size > 1000, name


def test_forward_diff(tmp_path):
    run('forward_diff.py', '--spp', '2', '-o', str(tmp_path))
    assert (tmp_path / 'out.png').exists() and (tmp_path / 'out_coolwarm.png').exists()


def test_invert_cbox_torch():
    pytest.importorskip('torch')
    out = run('invert_cbox_torch.py', '--iterations', '2', '--size', '32')
    assert 'Iteration 001: error=' in out
