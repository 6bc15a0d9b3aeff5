"""What the benchmarks write: their figures as JSON and as a plot, in ``benchmarks/results/``.

Each script calls :func:`save` with a list of rows, one per measured case::

    {'case': 'render 512 x 512, 1 spp', 'unit': 'ms',
     'tutorial_kit': 18.0, 'mitsuba': 28.0,         # medians; mitsuba None without it
     'first_call_ms': {...}, 'peak_mib': {...}}     # optional details per renderer

``readme_tables.py`` turns the JSON files into the README's tables, so that
the figures there are the ones a run measured, not copied by hand.
"""
import json
import os
import platform
import textwrap
import time

import tutorial_kit as tk

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results')


def machine():
    """What the figures were measured on."""
    try:
        import mitsuba
        mitsuba_version = mitsuba.__version__
    except ImportError:
        mitsuba_version = None
    return {'backend': tk.backend.name, 'cpu_threads': os.cpu_count(), 'processor': platform.processor()
            or platform.machine(), 'python': platform.python_version(), 'tutorial_kit': tk.__version__,
            'mitsuba': mitsuba_version, 'date': time.strftime('%Y-%m-%d'),
            # Other work on the machine slows every figure (ratios less so: the renderers take turns).
            'load_average': round(os.getloadavg()[0], 1) if hasattr(os, 'getloadavg') else None}


def save(name, title, rows, notes=(), directory=RESULTS):
    """Write ``name.json`` and ``name.png`` (a bar chart of the medians) into ``directory``."""
    os.makedirs(directory, exist_ok=True)
    record = {'benchmark': name, 'title': title, 'machine': machine(), 'rows': rows, 'notes': list(notes)}
    path = os.path.join(directory, f'{name}.json')
    with open(path, 'w') as file:
        json.dump(record, file, indent=1)
        file.write('\n')
    plot(record, os.path.join(directory, f'{name}.png'))
    print(f'wrote {path} and {name}.png')
    return record


def plot(record, path):
    """Horizontal bars: each case's median time, ours beside Mitsuba 3's."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = record['rows']
    figure, axes = plt.subplots(figsize=(8, 1.9 + 0.6 * len(rows)))
    positions = range(len(rows))
    axes.barh([p + 0.2 for p in positions], [row['tutorial_kit'] for row in rows], height=0.4,
              label='tutorial_kit', color='tab:blue')
    theirs = [row.get('mitsuba') or 0 for row in rows]
    if any(theirs):
        axes.barh([p - 0.2 for p in positions], theirs, height=0.4, label='Mitsuba 3', color='tab:orange')
    axes.set_yticks(list(positions), [row['case'] for row in rows])
    axes.invert_yaxis()
    axes.set_xlabel(f'median time ({rows[0]["unit"]}), lower is better')
    machine_ = record['machine']
    axes.set_title(f'{textwrap.fill(record["title"], 70)}\n{machine_["backend"]}, '
                   f'{machine_["cpu_threads"]} CPU threads, {machine_["date"]}', fontsize=9)
    axes.legend(loc='upper left', bbox_to_anchor=(1.01, 1), fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
