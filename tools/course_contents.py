"""The course's contents page and the README's course table, written from the notebooks' own metadata.

    python tools/course_contents.py             # rewrite both tables from the notebooks' metadata
    python tools/course_contents.py --measure   # first time each notebook under pytest --nbval-lax

Each notebook of the course (``notebooks/NN_*.ipynb``, NN from 01) carries a
``tutorial_kit`` entry in its metadata::

    {"title": "Visibility and object pose",
     "teaches": "why derivatives miss silhouettes and shadows, ...",
     "after": "03, 04",
     "run_time_s": 17,
     "mitsuba3_tutorials": {"object_pose_estimation": "what this notebook adds to it"}}

From those this tool writes two things between marker comments: the table of
notebooks (in ``notebooks/00_contents.ipynb`` and ``README.md``) and, on the
contents page, the map from Mitsuba 3's inverse-rendering tutorials to the
notebooks that teach the same thing. ``tests/test_course_contents.py`` fails
when a table and the metadata disagree, so a notebook's title, prerequisites
and run time are written in one place.
"""
import json
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / 'notebooks'
CONTENTS = NOTEBOOKS / '00_contents.ipynb'
README = ROOT / 'README.md'
TABLE = ('<!-- course-table:begin -->', '<!-- course-table:end -->')
MAP = ('<!-- mitsuba3-map:begin -->', '<!-- mitsuba3-map:end -->')

#: Mitsuba 3's inverse-rendering tutorials (the ``mitsuba-tutorials`` gallery), in its order.
MITSUBA3_INVERSE_TUTORIALS = [
    ('gradient_based_opt', 'Gradient-based optimization'),
    ('forward_inverse_rendering', 'Forward inverse rendering'),
    ('pytorch_mitsuba_interoperability', 'PyTorch interoperability'),
    ('object_pose_estimation', 'Object pose estimation'),
    ('projective_sampling_integrators', 'Projective sampling integrators'),
    ('shape_optimization', 'Shape optimization'),
    ('caustics_optimization', 'Caustics optimization'),
    ('volume_optimization', 'Volume optimization'),
    ('radiance_field_reconstruction', 'Radiance field reconstruction'),
    ('polarizer_optimization', 'Polarizer optimization'),
]
REQUIRED = ('title', 'teaches', 'after', 'run_time_s')


class ContentsError(Exception):
    """A notebook's metadata is missing or malformed."""


def course_notebooks():
    """The course's notebooks in order: ``notebooks/NN_*.ipynb`` with NN >= 01."""
    return sorted(p for p in NOTEBOOKS.glob('[0-9][0-9]_*.ipynb') if not p.name.startswith('00_'))


def metadata(path):
    """The ``tutorial_kit`` metadata of one notebook, checked."""
    entry = json.loads(path.read_text())['metadata'].get('tutorial_kit')
    if not isinstance(entry, dict):
        raise ContentsError(f'{path.name}: no "tutorial_kit" entry in the notebook metadata')
    missing = [key for key in REQUIRED if key not in entry]
    if missing:
        raise ContentsError(f'{path.name}: the "tutorial_kit" metadata lacks {", ".join(missing)}')
    return entry


def table(link_prefix=''):
    """The Markdown table of the course: number, title, what it teaches, after, run time.

    ``link_prefix``: titles link to ``link_prefix + file name``; ``None``: plain titles (the
    README is also the package's description, where a relative link would break).
    """
    rows = ['| # | notebook | what it teaches | after | run time |', '|---|---|---|---|---|']
    for path in course_notebooks():
        entry = metadata(path)
        title = entry['title'] if link_prefix is None else f'[{entry["title"]}]({link_prefix}{path.name})'
        rows.append(f'| {path.name[:2]} | {title} | {entry["teaches"]} '
                    f'| {entry["after"]} | {entry["run_time_s"]} s |')
    return '\n'.join(rows)


def mitsuba3_map():
    """The Markdown table from each Mitsuba 3 inverse-rendering tutorial to our notebooks."""
    taught = {}
    for path in course_notebooks():
        for name, adds in metadata(path).get('mitsuba3_tutorials', {}).items():
            taught.setdefault(name, []).append((path, adds))
    known = {name for name, _ in MITSUBA3_INVERSE_TUTORIALS}
    unknown = sorted(set(taught) - known)
    if unknown:
        raise ContentsError(f'notebook metadata names unknown Mitsuba 3 tutorials: {", ".join(unknown)}')
    rows = ['| Mitsuba 3 tutorial | our notebook | what ours adds |', '|---|---|---|']
    for name, title in MITSUBA3_INVERSE_TUTORIALS:
        for path, adds in taught.get(name, []) or [(None, 'not taught in this course yet')]:
            where = f'[{path.name[:2]} {metadata(path)["title"]}]({path.name})' if path else '—'
            rows.append(f'| {title} (`{name}`) | {where} | {adds} |')
    return '\n'.join(rows)


def replace_between(text, markers, body, where):
    """``text`` with what lies between the two ``markers`` replaced by ``body``."""
    begin, end = markers
    pattern = re.compile(re.escape(begin) + r'.*?' + re.escape(end), re.S)
    if not pattern.search(text):
        raise ContentsError(f'{where}: the markers {begin} ... {end} are missing')
    return pattern.sub(lambda _: f'{begin}\n{body}\n{end}', text)


def readme_text(readme):
    """The README with its course table rewritten (plain titles, no links)."""
    return replace_between(readme, TABLE, table(None), 'README.md')


def contents_cell_text(cell):
    """The contents page's first cell with both tables rewritten."""
    cell = replace_between(cell, TABLE, table(), CONTENTS.name)
    return replace_between(cell, MAP, mitsuba3_map(), CONTENTS.name)


def _source_lines(text):
    lines = text.split('\n')
    return [line + '\n' for line in lines[:-1]] + [lines[-1]]


def write():
    """Rewrite the tables in README.md and notebooks/00_contents.ipynb."""
    README.write_text(readme_text(README.read_text()))
    notebook = json.loads(CONTENTS.read_text())
    first = notebook['cells'][0]
    first['source'] = _source_lines(contents_cell_text(''.join(first['source'])))
    CONTENTS.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + '\n')


def measure():
    """Time each notebook under ``pytest --nbval-lax`` and store the seconds in its metadata."""
    for path in course_notebooks():
        start = time.perf_counter()
        subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--nbval-lax',
                        '--nbval-current-env', str(path)], cwd=ROOT, check=True)
        seconds = time.perf_counter() - start
        notebook = json.loads(path.read_text())
        notebook['metadata'].setdefault('tutorial_kit', {})['run_time_s'] = int(round(seconds))
        path.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + '\n')
        print(f'{path.name}: {seconds:.0f} s')


if __name__ == '__main__':
    if '--measure' in sys.argv[1:]:
        measure()
    write()
