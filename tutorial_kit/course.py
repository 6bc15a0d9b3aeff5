"""The course that ships with the package: the notebook series and the scenes it renders.

``tutorial-kit notebooks DIR`` (or :func:`write_course`) copies both into
``DIR`` with the repository's layout, ``DIR/notebooks/*.ipynb`` beside
``DIR/scenes/``, because the notebooks open their scenes by relative path
(``../scenes/cbox/cbox.xml``). In the repository the files live in
``notebooks/`` and ``scenes/``; the wheel carries the same files as package
data under ``tutorial_kit/data/course/`` (see ``pyproject.toml``), so there
is one copy to edit.
"""
import shutil
from pathlib import Path

#: The folders of the course, relative to the course root.
FOLDERS = ('notebooks', 'scenes')
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


def write_course(directory, force=False):
    """Copy the course into ``directory`` (created if needed); returns the written paths.

    A file that already exists there, such as a notebook a student has
    edited, is never overwritten unless ``force`` is true: then nothing is
    written and FileExistsError names the files.
    """
    root, directory = source_root(), Path(directory)
    files = course_files()
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f'{directory} exists and is not a folder')
    existing = [directory / name for name in files if (directory / name).exists()]
    if existing and not force:
        shown = ', '.join(str(path) for path in existing[:3]) + (', ...' if len(existing) > 3 else '')
        raise FileExistsError(f'{len(existing)} course file(s) already exist ({shown}); '
                              f'nothing was written. Choose another folder, or overwrite them with --force')
    written = []
    for name in files:
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / name, target)
        written.append(target)
    return written
