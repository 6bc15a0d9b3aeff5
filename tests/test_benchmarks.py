"""The benchmark scripts still run and print their tables (figures are not checked)."""
import os
import re
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(__file__), '..', 'benchmarks')


def run(script, *args):
    result = subprocess.run([sys.executable, os.path.join(BENCHMARKS, script), '--no-mitsuba', *args],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def numbers(line):
    return [float(x) for x in re.findall(r'\d+(?:\.\d+)?', line)]


@pytest.mark.slow
def test_render_benchmark_prints_both_spp():
    rows = [line for line in run('render.py', '--repeats', '1').splitlines()
            if line.startswith('tutorial_kit')]
    assert [numbers(row)[0] for row in rows] == [1, 64]
    assert all(value > 0 for row in rows for value in numbers(row)[1:4])   # times and memory


@pytest.mark.slow
def test_optimisation_loop_benchmark_prints_both_modes():
    output = run('invert_cbox.py', '--iterations', '2')
    modes = [line.split()[0] for line in output.splitlines() if line.split()[1:2] == ['tutorial_kit']]
    assert modes == ['biased', 'unbiased']
    ratio = re.search(r'unbiased / biased \(tutorial_kit\): (\d+\.\d+)', output)
    assert ratio and float(ratio.group(1)) > 0


@pytest.mark.slow
def test_texture_recovery_benchmark_prints_its_row():
    output = run('recover_texture.py', '--iterations', '2')
    row = [line for line in output.splitlines() if line.startswith('tutorial_kit')]
    assert len(row) == 1 and numbers(row[0])[1] > 0       # the time per iteration
