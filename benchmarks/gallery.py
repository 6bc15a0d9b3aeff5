"""Benchmark: Mitsuba 3's tutorial gallery, each notebook run with tutorial_kit and with Mitsuba 3.

Each notebook of a checkout of the ``mitsuba-tutorials`` repository (not part
of this project; pass its folder) runs in a fresh process, its code cells in
order, with ``import mitsuba`` answered by tutorial_kit or by Mitsuba 3:
nothing else in the notebook changes. As in the gallery's own tests, the
environment variable ``PYTEST_CURRENT_TEST`` is set, so that the notebooks'
cells for tests shrink their work; IPython magics and shell lines are
skipped, figures are drawn off screen, and loops written
``iteration_count = N`` run at most ``--iterations`` times. The two renderers
take turns notebook by notebook and process by process, so that machine load
drifts into neither side. Reported per notebook: cells run, the first error,
and the median total time (tutorial_kit's import included, as Mitsuba 3's is
in the notebooks' first cell) over ``--repeats`` processes each (the first
process of each pair is a cold start for any kernel it compiles, later ones
find Dr.Jit's kernel cache warm).

    python benchmarks/gallery.py GALLERY_DIR [--notebooks NAME ...] [--repeats N] [--timeout S] [--no-mitsuba] [--results DIR]

The figures go to ``DIR/gallery.json`` and ``.png`` (default ``benchmarks/results``).
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys

from fresh_process import has_mitsuba
from report import RESULTS, save

#: What runs one notebook in a child process: prints ``RESULT {json}`` last.
RUNNER = r'''
import json, linecache, os, re, sys, time, traceback
os.environ.setdefault('PYTEST_CURRENT_TEST', 'gallery')
path, which, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
plt.show = lambda *args, **kwargs: None
started = time.perf_counter()      # before the import: Mitsuba 3's is in the first cell
if which == 'tutorial_kit':
    import tutorial_kit
    sys.modules['mitsuba'] = tutorial_kit
notebook = json.load(open(path))
cells = [''.join(c['source']) for c in notebook['cells'] if c['cell_type'] == 'code']
os.chdir(os.path.dirname(os.path.abspath(path)))
namespace = {'display': lambda *args, **kwargs: None, '__name__': '__main__'}
result = {'cells': len(cells), 'ok': 0, 'error': None}
loop = re.compile(r'^(\s*)(iteration_count|max_iter|max_iterations|n_iterations|num_iterations)\s*=\s*(\d+)\s*$')
for number, source in enumerate(cells):
    lines = []
    for line in source.splitlines():
        if line.strip().startswith(('%', '!')):
            continue
        match = loop.match(line)
        if match and int(match.group(3)) > cap:
            line = f'{match.group(1)}{match.group(2)} = {cap}'
        lines.append(line)
    code = '\n'.join(lines)
    linecache.cache[f'cell{number}'] = (len(code), None, code.splitlines(True), f'cell{number}')
    try:
        exec(compile(code, f'cell{number}', 'exec'), namespace)
    except BaseException as error:
        result['error'] = f'cell {number}: {type(error).__name__}: {str(error)[:200]}'
        break
    result['ok'] += 1
result['seconds'] = time.perf_counter() - started
print('RESULT ' + json.dumps(result))
'''


def run_notebook(path, which, iterations, timeout):
    """One notebook in a fresh process: ``{'cells', 'ok', 'error', 'seconds'}``."""
    try:
        out = subprocess.run([sys.executable, '-c', RUNNER, path, which, str(iterations)],
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {'cells': None, 'ok': None, 'error': f'did not finish within {timeout} s', 'seconds': None}
    lines = [line for line in out.stdout.splitlines() if line.startswith('RESULT ')]
    if not lines:
        return {'cells': None, 'ok': None, 'error': f'the process ended with status {out.returncode}: '
                f'{out.stderr.strip().splitlines()[-1:] or ""}', 'seconds': None}
    return json.loads(lines[-1][len('RESULT '):])


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('gallery', help='a checkout of the mitsuba-tutorials repository')
    parser.add_argument('--notebooks', nargs='*', help='notebook names (default: all)')
    parser.add_argument('--repeats', type=int, default=2)
    parser.add_argument('--iterations', type=int, default=3, help='the most iterations of a loop')
    parser.add_argument('--timeout', type=int, default=600, help='seconds per notebook and process')
    parser.add_argument('--results', default=RESULTS, help='folder for gallery.json and .png')
    parser.add_argument('--no-mitsuba', action='store_true', help='run the notebooks with tutorial_kit only')
    args = parser.parse_args()
    paths = sorted(glob.glob(os.path.join(args.gallery, '*', '*.ipynb')))
    if args.notebooks:
        paths = [p for p in paths if os.path.splitext(os.path.basename(p))[0] in args.notebooks]
    renderers = ['tutorial_kit'] + (['mitsuba'] if has_mitsuba() and not args.no_mitsuba else [])
    rows = []
    print(f'{"notebook":<36}{"cells":>7}{"kit s":>8}{"mitsuba s":>11}{"ratio":>7}  notes')
    for path in paths:
        runs = {which: [] for which in renderers}
        for _ in range(args.repeats):
            for which in renderers:
                runs[which].append(run_notebook(path, which, args.iterations, args.timeout))
        name = os.path.splitext(os.path.basename(path))[0]
        ours, theirs = runs['tutorial_kit'], runs.get('mitsuba', [])
        row = {'case': name, 'unit': 's',
               'tutorial_kit': median_or_none([r['seconds'] for r in ours if not r['error']]),
               'mitsuba': median_or_none([r['seconds'] for r in theirs if not r['error']]),
               'cells': ours[-1]['cells'], 'ok': {which: runs[which][-1]['ok'] for which in renderers},
               'errors': {which: runs[which][-1]['error'] for which in renderers if runs[which][-1]['error']},
               'all_seconds': {which: [r['seconds'] for r in runs[which]] for which in renderers}}
        rows.append(row)
        ratio = (f'{row["tutorial_kit"] / row["mitsuba"]:.2f}' if row['tutorial_kit'] and row['mitsuba'] else '')
        print(f'{name:<36}{row["ok"]["tutorial_kit"]!s:>3}/{row["cells"]!s:<3}'
              f'{row["tutorial_kit"] or 0:>8.1f}{row["mitsuba"] or 0:>11.1f}{ratio:>7}  '
              f'{"; ".join(f"{k}: {v}" for k, v in row["errors"].items())}', flush=True)
    save('gallery', "Mitsuba 3's tutorial gallery, notebook by notebook (s per notebook, test settings)",
         [r for r in rows if r['tutorial_kit'] is not None], directory=args.results)


if __name__ == '__main__':
    main()
