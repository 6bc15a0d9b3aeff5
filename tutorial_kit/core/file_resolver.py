"""Where relative file names are looked for: Mitsuba 3's ``FileResolver``.

A scene names its meshes and textures relative to itself. The loaders try
the scene file's own directory first; when the file is not there, they try
each directory of :func:`file_resolver` in order. A notebook that keeps its
assets elsewhere adds that directory once::

    tk.file_resolver().append('/data/textures')
    scene = tk.load_dict({... 'filename': 'wood.jpg' ...})
"""
import os


class FileResolver:
    """An ordered list of directories searched for relative file names."""

    def __init__(self, paths=()):
        self._paths = []
        for path in paths:
            self.append(path)

    @staticmethod
    def _checked(path):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f'FileResolver takes directory names (str or os.PathLike), '
                            f'got {type(path).__name__}')
        return os.path.abspath(os.fspath(path))

    def append(self, path):
        """Search ``path`` after the directories already listed."""
        self._paths.append(self._checked(path))

    def prepend(self, path):
        """Search ``path`` before the directories already listed."""
        self._paths.insert(0, self._checked(path))

    def clear(self):
        self._paths.clear()

    def resolve(self, path):
        """The first existing file ``directory/path`` over the list; ``path``
        itself (unchanged) when it is absolute or found nowhere."""
        path = os.fspath(self._checked_name(path))
        if not os.path.isabs(path):
            for directory in self._paths:
                candidate = os.path.join(directory, path)
                if os.path.exists(candidate):
                    return candidate
        return path

    @staticmethod
    def _checked_name(path):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f'resolve takes a file name (str or os.PathLike), got {type(path).__name__}')
        return path

    def __len__(self):
        return len(self._paths)

    def __iter__(self):
        return iter(list(self._paths))

    def __getitem__(self, index):
        return self._paths[index]

    def __repr__(self):
        return 'FileResolver[\n' + ''.join(f'  "{path}",\n' for path in self._paths) + ']'


_RESOLVER = FileResolver()


def file_resolver():
    """The one resolver the loaders use (initially empty: only the scene's own directory counts)."""
    return _RESOLVER
