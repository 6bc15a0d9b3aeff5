"""The README's table of Mitsuba 3 names says what the code provides."""
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_tool():
    spec = importlib.util.spec_from_file_location('mitsuba3_names', ROOT / 'tools' / 'mitsuba3_names.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_matches_the_code():
    tool = load_tool()
    readme = (ROOT / 'README.md').read_text()
    assert tool.readme_with_table(readme) == readme, \
        'README.md and the code disagree on the Mitsuba 3 names: run python tools/mitsuba3_names.py'


def test_table_sorts_names_by_what_the_code_has():
    tool = load_tool()
    rows = {line.split(' | ')[0]: line for line in tool.table().splitlines() if line.startswith('| ')}
    geometry = next(line for title, line in rows.items() if title.startswith('| Geometry'))
    provided, missing = geometry.split(' | ')[1:3]
    assert 'Transform4f' in provided.split(', ') and 'ProjectiveTransform4f' in provided.split(', ')
    assert 'BoundingSphere3f' in missing.split(', ')
    assert tool.provided('warp.square_to_uniform_cone') and tool.provided('ad.LargeSteps')
    assert not tool.provided('ad.AdamW')
