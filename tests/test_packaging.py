"""What the package says about itself: its metadata, its sdist, its README as
a package description, and the Binder pins against its extras."""
import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']


def test_licence_is_an_spdx_expression_and_classifiers_say_what_runs():
    assert PROJECT['license'] == 'BSD-3-Clause'
    assert not any(c.startswith('License ::') for c in PROJECT['classifiers'])    # PEP 639: the expression only
    for prefix in ('Development Status ::', 'Operating System ::', 'Programming Language :: Python :: 3.11'):
        assert any(c.startswith(prefix) for c in PROJECT['classifiers']), prefix
    assert 'urls' not in PROJECT or not any('tutorial-kit/tutorial_kit' in url for url in PROJECT['urls'].values())


def test_mitsuba_floor_is_built_on_our_drjit():
    """Each Mitsuba 3 release pins one Dr.Jit: 3.9.1 is the first on Dr.Jit 1.5."""
    mitsuba, = map(Requirement, PROJECT['optional-dependencies']['mitsuba'])
    drjit = next(Requirement(r) for r in PROJECT['dependencies'] if r.startswith('drjit'))
    assert '1.5.0' in drjit.specifier
    assert not mitsuba.specifier.contains('3.9.0') and mitsuba.specifier.contains('3.9.1')


def test_floors_file_pins_every_floor():
    """constraints-floor.txt (used by CI) pins each dependency to its lowest allowed release."""
    pins = {}
    for line in (ROOT / 'constraints-floor.txt').read_text().splitlines():
        line = line.split('#')[0].strip()
        if line:
            requirement = Requirement(line)
            pins[requirement.name.lower()] = next(iter(requirement.specifier)).version
    for text in PROJECT['dependencies'] + PROJECT['optional-dependencies']['test']:
        requirement = Requirement(text)
        floor = [s.version for s in requirement.specifier if s.operator in ('>=', '==')]
        assert requirement.name.lower() in pins, f'{requirement.name} has no floor pin'
        assert Version(floor[0].rstrip('.*')) == Version(pins[requirement.name.lower()]), requirement


def test_binder_pins_the_dependencies_and_the_test_and_notebooks_extras():
    pins = {}
    for line in (ROOT / 'binder' / 'requirements.txt').read_text().splitlines():
        line = line.split('#')[0].strip()
        if line:
            name, version = line.split('==')
            pins[name.lower().replace('_', '-')] = version
    wanted = PROJECT['dependencies'] + [r for extra in ('test', 'notebooks')
                                        for r in PROJECT['optional-dependencies'][extra]]
    for text in wanted:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate({'sys_platform': 'linux',
                                                                    'platform_machine': 'x86_64'}):
            continue
        name = requirement.name.lower().replace('_', '-')
        assert name in pins, f'binder/requirements.txt does not pin {requirement.name}'
        assert requirement.specifier.contains(pins[name]), f'{name}=={pins[name]} is outside {requirement}'
    # Yanked from PyPI: pip warns and Binder builds may refuse them.
    assert pins.get('soupsieve') != '3.0.1'


def readme_links():
    return re.findall(r'\]\(([^)\s]+)\)', (ROOT / 'README.md').read_text())


def test_readme_links_work_as_a_package_description():
    """The README is also the package's description, shown away from the
    repository: a relative link (or an in-page anchor) would be dead there."""
    links = readme_links()
    assert links, 'the README links nothing at all?'
    relative = [link for link in links if not re.match(r'https?://', link)]
    assert not relative, f'relative links in README.md: {relative}'
    assert not [link for link in links if 'tutorial-kit/tutorial_kit' in link], 'a placeholder repository'


def test_sdist_leaves_out_caches(tmp_path):
    """Built after the tests have run: their caches stay out of the sdist."""
    pytest.importorskip('build')          # the docs extra brings it, and hatchling
    pytest.importorskip('hatchling')
    cache = ROOT / '.hypothesis' / 'examples'
    cache.mkdir(parents=True, exist_ok=True)
    (cache / 'left-by-a-test').write_text('x')
    result = subprocess.run([sys.executable, '-m', 'build', '--sdist', '--no-isolation', '--outdir',
                             str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sdist, = tmp_path.glob('tutorial_kit-*.tar.gz')
    names = tarfile.open(sdist).getnames()
    assert any(name.endswith('/tutorial_kit/__init__.py') for name in names)
    assert any(name.endswith('/notebooks/01_scenes_and_parameters.ipynb') for name in names)
    for unwanted in ('.hypothesis', '__pycache__', '.pytest_cache', '.ipynb_checkpoints', '.venv'):
        assert not [name for name in names if f'/{unwanted}/' in name + '/'], unwanted


def test_typed_marker_ships():
    assert (ROOT / 'tutorial_kit' / 'py.typed').is_file()
