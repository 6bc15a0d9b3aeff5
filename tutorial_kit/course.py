"""The course that ships with the package: the notebook series and the scenes it renders.

``tutorial-kit notebooks DIR`` (or :func:`write_course`) copies both into
``DIR`` with the repository's layout, ``DIR/notebooks/*.ipynb`` beside
``DIR/scenes/``, because the notebooks open their scenes by relative path
(``../scenes/cbox/cbox.xml``). In the repository the files live in
``notebooks/`` and ``scenes/``; the wheel carries the same files as package
data under ``tutorial_kit/data/course/`` (see ``pyproject.toml``), so there
is one copy to edit.

Solutions to the exercises sit in code cells tagged ``solution`` (collapsed
in JupyterLab); ``no_solutions=True`` (``--no-solutions``) leaves them out,
which makes a student's copy of the course.
"""
import json
import shutil
from pathlib import Path
from typing import List, NamedTuple

#: The folders of the course, relative to the course root.
FOLDERS = ('notebooks', 'scenes')
#: The cell tag that marks an exercise's solution.
SOLUTION_TAG = 'solution'
#: Never copied: editor and interpreter leftovers.
SKIPPED = ('.ipynb_checkpoints', '__pycache__')


def source_root():
    """The folder holding ``notebooks/`` and ``scenes/``: the installed package
    data, or the repository when running from a checkout."""
    package = Path(__file__).resolve().parent
    for root in (package / 'data' / 'course', package.parent):
        if all((root / folder).is_dir() for folder in FOLDERS):
            return root
    raise FileNotFoundError(f'the course files are missing: neither {package / "data" / "course"} '
                            f'nor the repository around {package} has notebooks/ and scenes/; '
                            f'reinstall tutorial_kit')


def course_files():
    """Relative paths (``notebooks/01_....ipynb``, ``scenes/cbox/cbox.xml``, ...) of the course, sorted."""
    root = source_root()
    return sorted(path.relative_to(root) for folder in FOLDERS for path in (root / folder).rglob('*')
                  if path.is_file() and not any(part in SKIPPED for part in path.parts))


class CourseError(ValueError):
    """A request the course cannot satisfy (a reset name that matches no notebook)."""


class CourseCopy(NamedTuple):
    """What :func:`write_course` did: the files it ``written`` and those it ``kept``
    (already there, left as they were), as paths inside the folder."""
    written: List[Path]
    kept: List[Path]


def write_course(directory, force=False, reset=(), no_solutions=False):
    """Copy the course into ``directory`` (created if needed).

    A course file that already exists there, such as a notebook a student
    has edited, is kept as it is; missing files are written, so that a
    course folder can be brought up to date without losing work.
    ``reset``: names of notebooks (``03``, ``03_reverse_mode_optimisation``
    or the file name) to restore to their original state; ``force``:
    restore every file. Every target is checked before anything is written:
    a path that leads through a file or a symbolic link is refused
    (NotADirectoryError, FileExistsError), and so is a reset name that
    matches no notebook (CourseError). ``no_solutions``: write the notebooks
    without their cells tagged ``solution`` (files kept are left as they are).
    Returns a :class:`CourseCopy`.
    """
    root, directory = source_root(), Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f'{directory} exists and is not a folder')
    files = course_files()
    restored = set(files) if force else _notebooks_named(files, reset)
    for name in files:
        _check_target(directory, name)
    copy = CourseCopy([], [])
    for name in files:
        target = directory / name
        if target.exists() and name not in restored:
            copy.kept.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if no_solutions and name.suffix == '.ipynb':
            target.write_text(without_solutions((root / name).read_text(encoding='utf-8')), encoding='utf-8')
        else:
            shutil.copyfile(root / name, target)
        copy.written.append(target)
    return copy


def without_solutions(notebook_text):
    """The notebook (its JSON text) without the code cells tagged ``solution``."""
    notebook = json.loads(notebook_text)
    notebook['cells'] = [cell for cell in notebook['cells']
                         if SOLUTION_TAG not in cell.get('metadata', {}).get('tags', [])]
    # nbformat's own layout, so that the file reads like the others.
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + '\n'


def _notebooks_named(files, names):
    """The course notebooks that ``names`` (numbers, stems or file names) pick."""
    notebooks = [name for name in files if name.suffix == '.ipynb']
    picked = set()
    for given in names:
        stem = Path(given).stem
        matches = [n for n in notebooks if n.stem == stem or n.stem.split('_')[0] == stem]
        if len(matches) != 1:
            known = ', '.join(n.stem for n in notebooks)
            raise CourseError(f'"{given}" names {"no" if not matches else "more than one"} notebook '
                             f'of the course (the notebooks: {known})')
        picked.add(matches[0])
    return picked


def _check_target(directory, name):
    """Refuse to write ``directory / name`` where a file stands in the way of a
    folder on its path, or where any part is a symbolic link (which could lead
    outside ``directory``)."""
    path = directory
    for part in name.parts:
        path = path / part
        if path.is_symlink():
            raise FileExistsError(f'{path} is a symbolic link; the course is not written through links. '
                                  f'Remove it or choose another folder; nothing was written')
        if path != directory / name and path.exists() and not path.is_dir():
            raise NotADirectoryError(f'{path} exists and is not a folder; nothing was written')
