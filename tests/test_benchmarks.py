"""The benchmark scripts still run and print their tables (figures are not checked)."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

BENCHMARKS = os.path.join(os.path.dirname(__file__), '..', 'benchmarks')


def run(script, *args, results=None):
    """The script's output; its JSON and plot go to ``results`` (a temporary folder)."""
    extra = ['--results', str(results)] if results is not None else []
    result = subprocess.run([sys.executable, os.path.join(BENCHMARKS, script), '--no-mitsuba', *args, *extra],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def numbers(line):
    return [float(x) for x in re.findall(r'\d+(?:\.\d+)?', line)]


@pytest.mark.slow
def test_render_benchmark_prints_both_spp(tmp_path):
    rows = [line for line in run('render.py', '--repeats', '1', results=tmp_path).splitlines()
            if line.startswith('tutorial_kit')]
    assert [numbers(row)[0] for row in rows] == [1, 64]
    assert all(value > 0 for row in rows for value in numbers(row)[1:4])   # times and memory
    record = json.loads((tmp_path / 'render.json').read_text())
    assert [row['case'] for row in record['rows']] == ['render 512 x 512, 1 spp', 'render 512 x 512, 64 spp']
    assert (tmp_path / 'render.png').stat().st_size > 0


@pytest.mark.slow
def test_optimisation_loop_benchmark_prints_both_modes(tmp_path):
    output = run('invert_cbox.py', '--iterations', '2', results=tmp_path)
    modes = [line.split()[0] for line in output.splitlines() if line.split()[1:2] == ['tutorial_kit']]
    assert modes == ['biased', 'unbiased']
    ratio = re.search(r'unbiased / biased \(tutorial_kit\): (\d+\.\d+)', output)
    assert ratio and float(ratio.group(1)) > 0
    record = json.loads((tmp_path / 'invert_cbox.json').read_text())
    assert all(row['tutorial_kit'] > 0 and row['mitsuba'] is None for row in record['rows'])


@pytest.mark.slow
def test_mitsuba3_tutorial_benchmark(tmp_path):
    output = run('mitsuba3_tutorial.py', '--iterations', '3', results=tmp_path)
    assert any(line.startswith('tutorial_kit') for line in output.splitlines())
    row, = json.loads((tmp_path / 'mitsuba3_tutorial.json').read_text())['rows']
    assert row['tutorial_kit'] > 0 and row['iterations'] == 3


@pytest.mark.slow
def test_first_render_benchmark(tmp_path):
    output = run('first_render.py', '--repeats', '1', results=tmp_path)
    row = next(line for line in output.splitlines() if line.startswith('tutorial_kit'))
    assert len(numbers(row)) == 2 and all(value > 0 for value in numbers(row))
    record = json.loads((tmp_path / 'first_render.json').read_text())
    assert [row['case'].split()[1] for row in record['rows']] == ['render', 'step']


def test_readme_tables_come_from_the_json_files(tmp_path):
    sys.path.insert(0, BENCHMARKS)
    try:
        import readme_tables
    finally:
        sys.path.remove(BENCHMARKS)
    record = {'benchmark': 'render', 'title': 't', 'notes': [],
              'machine': {'backend': 'llvm', 'cpu_threads': 2, 'processor': 'x86_64', 'mitsuba': '3.9.1',
                          'date': '2026-11-30'},
              'rows': [{'case': 'render 512 x 512, 1 spp', 'unit': 'ms', 'tutorial_kit': 18.04, 'mitsuba': 28.0,
                        'first_call_ms': {'tutorial_kit': 216.0}, 'peak_mib': {'tutorial_kit': 4.2}}]}
    (tmp_path / 'render.json').write_text(json.dumps(record))
    readme = tmp_path / 'README.md'
    readme.write_text('intro\n<!-- benchmarks:start -->\nold\n<!-- benchmarks:end -->\nafter\n')
    arguments = ['--readme', str(readme), '--results', str(tmp_path)]
    script = os.path.join(BENCHMARKS, 'readme_tables.py')
    assert subprocess.run([sys.executable, script, '--check', *arguments]).returncode == 1
    assert subprocess.run([sys.executable, script, *arguments]).returncode == 0
    text = readme.read_text()
    assert text.startswith('intro\n<!-- benchmarks:start -->\n') and text.endswith('<!-- benchmarks:end -->\nafter\n')
    assert '| render 512 x 512, 1 spp | 18.0 ms | 28.0 ms | 0.64 |' in text and 'old' not in text
    assert '| render 512 x 512, 1 spp | 216 ms / 4 MiB |  |' in text
    assert subprocess.run([sys.executable, script, '--check', *arguments]).returncode == 0
    assert readme_tables.tables([]).startswith('No benchmark results')


@pytest.mark.slow
def test_texture_recovery_benchmark_prints_its_row():
    output = run('recover_texture.py', '--iterations', '2')
    row = [line for line in output.splitlines() if line.startswith('tutorial_kit')]
    assert len(row) == 1 and numbers(row[0])[1] > 0       # the time per iteration


@pytest.mark.slow
def test_pose_benchmark_prints_milliseconds_per_iteration():
    output = run('pose.py', '--iterations', '1', '--warmup', '1')
    row = next(line for line in output.splitlines() if line.startswith('tutorial_kit'))
    assert numbers(row)[0] > 0


def test_readme_tables_put_cold_and_warm_side_by_side(tmp_path):
    sys.path.insert(0, BENCHMARKS)
    try:
        import readme_tables
    finally:
        sys.path.remove(BENCHMARKS)
    machine = {'backend': 'llvm', 'cpu_threads': 2, 'processor': 'x86_64', 'mitsuba': '3.9.1', 'date': '2026-12-03'}
    rows = [{'case': f'load of a 1,000-triangle PLY mesh, {t}', 'unit': 'ms', 'tutorial_kit': kit,
             'mitsuba': mitsuba, 'temperature': t} for t, kit, mitsuba in (('cold', 900.0, 600.0),
                                                                          ('warm', 300.0, 400.0))]
    text = readme_tables.tables([{'benchmark': 'cold_load', 'title': 't', 'notes': [], 'machine': machine,
                                  'rows': rows}])
    assert '| load of a 1,000-triangle PLY mesh | 900 ms | 600 ms | 1.50 | 300 ms | 400 ms | 0.75 |' in text
    assert 'PLY mesh, cold |' not in text          # not repeated in the table of warm figures


def test_cold_load_grid_has_a_new_vertex_count_per_step():
    sys.path.insert(0, BENCHMARKS)
    try:
        from cold_load import sphere_grid
    finally:
        sys.path.remove(BENCHMARKS)
    positions, faces = sphere_grid(20000)
    more, more_faces = sphere_grid(20000, extra=1)
    assert abs(len(faces) - 20000) < 300 and len(more) > len(positions)
    assert faces.min() == 0 and faces.max() == len(positions) - 1
    radius = np.linalg.norm(positions, axis=1)
    assert radius.min() > 0.96 and radius.max() < 1.04


@pytest.mark.slow
def test_cold_load_benchmark(tmp_path):
    output = run('cold_load.py', '--triangles', '2000', '--repeats', '1', '--formats', 'ply', results=tmp_path)
    assert 'load ply, cold' in output and 'render ply, warm' in output
    record = json.loads((tmp_path / 'cold_load.json').read_text())
    assert [row['temperature'] for row in record['rows']] == ['cold', 'warm', 'cold', 'warm']
    assert all(row['tutorial_kit'] > 0 for row in record['rows'])


@pytest.mark.slow
def test_vertex_gradient_benchmark_prints_its_comparison():
    result = subprocess.run([sys.executable, os.path.join(BENCHMARKS, 'vertex_gradients.py'), '--subdivisions', '2',
                             '--size', '24', '--views', '1', '--spp-grad', '8', '--spp-fd', '16', '--sky', '0'],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith('320 triangles (welded), 1 views, direct_projective, sky 0: correlation'), line


@pytest.mark.slow
def test_polarized_benchmark(tmp_path):
    output = run('polarized.py', '--repeats', '1', '--iterations', '2', results=tmp_path)
    assert 'Stokes image 128 x 128, 64 spp, warm' in output
    record = json.loads((tmp_path / 'polarized.json').read_text())
    assert [row['temperature'] for row in record['rows']] == ['cold', 'warm', 'cold', 'warm']
    assert all(row['tutorial_kit'] > 0 and row['mitsuba'] is None for row in record['rows'])


def test_gallery_benchmark_runs_a_notebook_module_renamed(tmp_path):
    """A notebook written for Mitsuba 3 (``import mitsuba``), run with tutorial_kit:
    its cells counted, a failing cell named, the figures saved."""
    folder = tmp_path / 'gallery' / 'rendering'
    folder.mkdir(parents=True)

    def notebook(name, *cells):
        cells = [{'cell_type': 'code', 'metadata': {}, 'source': source, 'outputs': [], 'execution_count': None}
                 for source in cells]
        (folder / f'{name}.ipynb').write_text(json.dumps({'cells': cells, 'metadata': {}, 'nbformat': 4,
                                                          'nbformat_minor': 5}))
    notebook('works', "import mitsuba as mi\nmi.set_variant('llvm_ad_rgb')",
             "%matplotlib inline\nimage = mi.render(mi.load_dict(mi.cornell_box()), spp=1)",
             "assert image.shape[2] == 3")
    notebook('fails', "import mitsuba as mi", "mi.no_such_function()")
    output = run('gallery.py', str(tmp_path / 'gallery'), '--repeats', '1', results=tmp_path)
    rows = {line.split()[0]: line for line in output.splitlines() if line.startswith(('works', 'fails'))}
    assert rows['works'].split()[1] == '3/3'
    assert rows['fails'].split()[1] == '1/2' and 'AttributeError' in rows['fails']
    saved = json.loads((tmp_path / 'gallery.json').read_text())
    assert [row['case'] for row in saved['rows']] == ['works']
