"""The package's layers import only downwards, and no module imports itself in a circle.

The order (README, "Where things are"): ``core`` -> ``io`` -> ``renderer`` ->
``plugins`` -> ``ad`` -> the public API (``tutorial_kit/__init__.py``,
``util.py``) -> ``widgets``, ``course``, ``cli``. The graph is drawn from
the source with :mod:`ast`, counting every import, also those inside
functions, so that a late import cannot hide a dependency.
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / 'tutorial_kit'

#: Layer of each top-level part of the package, lowest first.
LAYERS = {'core': 0, 'io': 1, 'renderer': 2, 'plugins': 3, 'ad': 4, None: 5, 'util': 5,
          'variant_types': 5, 'scenes': 5, 'python': 5, 'scalar_rgb': 5, 'llvm_ad_rgb': 5, 'cuda_ad_rgb': 5,
          'llvm_ad_rgb_polarized': 5, 'cuda_ad_rgb_polarized': 5,
          '__main__': 6, 'widgets': 6, 'course': 6, 'cli': 6}


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix('').parts)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def layer_of(module):
    parts = module.split('.')
    return LAYERS[parts[1] if len(parts) > 1 else None]


def imported_modules(path, name, modules):
    """(line, module) for each import of a package module (a name in
    ``modules``) in the file at ``path``, whose module is called ``name``."""
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = '.'.join(anchor + ([base] if base else []))
            candidates = [f'{base}.{alias.name}' if f'{base}.{alias.name}' in modules else base
                          for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate not in modules and '.' in candidate:
                candidate = candidate.rpartition('.')[0]
            if candidate in modules and candidate != name:
                found.append((node.lineno, candidate))
    return found


def import_graph():
    modules = {module_name(path): path for path in PACKAGE.rglob('*.py')}
    return {name: imported_modules(path, name, modules) for name, path in modules.items()}


def test_every_module_has_a_layer():
    for name in import_graph():
        assert name == 'tutorial_kit' or name.split('.')[1] in LAYERS, name


def test_imports_run_downwards():
    upward = [f'{name}:{line} imports {target}'
              for name, imports in import_graph().items()
              for line, target in imports if layer_of(target) > layer_of(name)]
    assert not upward, '\n'.join(upward)


def test_no_import_circle():
    graph = {name: {target for _, target in imports} for name, imports in import_graph().items()}
    state, circles = {}, []

    def visit(node, trail):
        state[node] = 'open'
        for target in sorted(graph[node]):
            if state.get(target) == 'open':
                circles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 'done'

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not circles, '\n'.join(' -> '.join(c) for c in circles)


@pytest.mark.parametrize('source, expected', [
    ('from tutorial_kit.ad.render import render\n', 'tutorial_kit.ad.render'),
    ('from tutorial_kit.plugins import registry\n', 'tutorial_kit.plugins'),
    ('import tutorial_kit.ad.render as r\n', 'tutorial_kit.ad.render'),
    ('from ..widgets import figures\n', 'tutorial_kit.widgets.figures'),
    ('def f():\n    from tutorial_kit.widgets.figures import plot\n', 'tutorial_kit.widgets.figures'),
])
def test_the_graph_sees_imports_of_every_form(tmp_path, source, expected):
    """Top-level, relative and function-local imports are all found, and
    each of these, written in ``core``, runs against the order."""
    modules = {'tutorial_kit.ad.render', 'tutorial_kit.plugins', 'tutorial_kit.widgets.figures',
               'tutorial_kit.core.example'}
    path = tmp_path / 'example.py'
    path.write_text(source)
    found = [target for _, target in imported_modules(path, 'tutorial_kit.core.example', modules)]
    assert found == [expected]
    assert layer_of(expected) > layer_of('tutorial_kit.core.example')
