"""Removes what changes at every run of a notebook but says nothing about it:
the execution timestamps that Jupyter and nbconvert store in each cell's
metadata (``execution``, and ``ExecuteTime`` from the execute-time extension).
Outputs, execution counts and the widgets' state stay: the course shows its
outputs, and the documentation renders them.

    python tools/strip_notebook_metadata.py               # every notebooks/*.ipynb, in place
    python tools/strip_notebook_metadata.py A.ipynb ...   # these, in place
    python tools/strip_notebook_metadata.py --check       # exit 1 and name those that need it
    python tools/strip_notebook_metadata.py --stdin       # stdin to stdout (a git clean filter)

As a git filter, so that a commit never takes the timestamps in (CONTRIBUTING.md):

    git config filter.strip-notebook.clean "python tools/strip_notebook_metadata.py --stdin"
    git config filter.strip-notebook.smudge cat

with ``notebooks/*.ipynb filter=strip-notebook`` in ``.gitattributes``.
``tests/test_notebook_hygiene.py`` checks every committed notebook.
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Cell metadata keys that record when a cell ran.
TIMING_KEYS = ('execution', 'ExecuteTime')


def stripped(notebook):
    """``notebook`` (a parsed .ipynb) without timing metadata; True when something was removed."""
    changed = False
    for cell in notebook.get('cells', []):
        metadata = cell.get('metadata', {})
        for key in TIMING_KEYS:
            if key in metadata:
                del metadata[key]
                changed = True
    return changed


def dumps(notebook):
    """nbformat's own layout (one-space indent, sorted keys, a final newline)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('files', nargs='*', type=Path, help='notebooks (default: notebooks/*.ipynb)')
    parser.add_argument('--check', action='store_true', help='change nothing; exit 1 if any needs stripping')
    parser.add_argument('--stdin', action='store_true', help='read a notebook on stdin, write it to stdout')
    args = parser.parse_args(argv)
    if args.stdin:
        notebook = json.loads(sys.stdin.read())
        stripped(notebook)
        sys.stdout.write(dumps(notebook))
        return 0
    files = args.files or sorted((ROOT / 'notebooks').glob('*.ipynb'))
    dirty = []
    for path in files:
        notebook = json.loads(path.read_text(encoding='utf-8'))
        if stripped(notebook):
            dirty.append(path)
            if not args.check:
                path.write_text(dumps(notebook), encoding='utf-8')
    for path in dirty:
        print(f'{path}: {"has" if args.check else "removed"} execution timestamps')
    return 1 if args.check and dirty else 0


if __name__ == '__main__':
    sys.exit(main())
