"""The command line and the backend/libLLVM discovery."""
import os
import subprocess
import sys

import drjit as dr
import numpy as np
import pytest

import _tutorial_kit_llvm as llvm
import tutorial_kit as tk
from tutorial_kit.cli import main
from helpers import CBOX, ROOT, scene_xml


def test_cli_renders_and_writes(tmp_path, capsys):
    out = tmp_path / 'box.exr'
    assert main(['render', CBOX, '--spp', '2', '-o', str(out), '--seed', '3']) == 0
    image = tk.read_bitmap(out)
    assert image.shape == (512, 512, 3) and 0.05 < image.mean() < 0.3
    assert 'wrote' in capsys.readouterr().out


def test_cli_defines(tmp_path):
    scene = tmp_path / 's.xml'
    scene.write_text(scene_xml('<emitter type="constant"><rgb name="radiance" value="$level"/></emitter>'))
    out = tmp_path / 's.pfm'
    assert main(['render', str(scene), '-D', 'level=0.25', '-o', str(out), '--spp', '1']) == 0
    assert np.allclose(tk.read_bitmap(out), 0.25, rtol=1e-5)


@pytest.mark.parametrize('args, message', [
    (['render', 'missing.xml'], 'cannot read'),
    (['render', CBOX, '--spp', '0'], 'spp'),
    (['render', CBOX, '--spp', '1', '-o', 'out.tiff'], 'tiff'),
])
def test_cli_errors(args, message, capsys):
    assert main(args) == 1
    assert message in capsys.readouterr().err


def test_cli_as_module(tmp_path):
    out = tmp_path / 'm.png'
    result = subprocess.run([sys.executable, '-m', 'tutorial_kit', 'render', CBOX, '--spp', '1',
                             '-o', str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert out.exists()
    assert '\r' not in result.stderr and 'spp/s' not in result.stderr    # no bar in a log


def test_llvm_version_from_path():
    assert llvm._major_version('/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1') == 15
    assert llvm._major_version('/venv/lib/libLLVM.so.23.1') == 23
    assert llvm._major_version('/usr/lib/llvm-19/lib/libLLVM.so.1') == 19
    assert llvm._major_version('/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1') == 19
    assert all((llvm._major_version(p) or 99) >= 16 for p in llvm.candidate_libraries())


def test_backend_uses_new_enough_llvm():
    import drjit as dr
    if tk.backend.name == 'llvm':
        assert dr.detail.llvm_version()[0] >= 16


def test_drjit_imported_first_still_works():
    """The interpreter-start hook points Dr.Jit at a usable libLLVM even if drjit comes first."""
    code = ('import drjit as dr; import tutorial_kit as tk; '
            'print(dr.detail.llvm_version()[0] >= 16 or tk.backend.name == "cuda")')
    env = {k: v for k, v in os.environ.items() if k != 'DRJIT_LIBLLVM_PATH'}
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.stdout.strip() == 'True', result.stderr


def test_unknown_backend():
    with pytest.raises(tk.BackendError, match="'llvm' or 'cuda'"):
        tk.set_backend('metal')


@pytest.mark.parametrize('name', ['dir.v2/scene', 'dir.v2/scene.xml', 'plain'])
def test_cli_default_output_sits_beside_the_scene(tmp_path, name):
    scene = tmp_path / name
    scene.parent.mkdir(exist_ok=True)
    scene.write_text(scene_xml('<emitter type="constant"/>', width=4, height=4))
    assert main(['render', str(scene), '--spp', '1']) == 0
    expected = {'dir.v2/scene': 'dir.v2/scene.png', 'dir.v2/scene.xml': 'dir.v2/scene.png',
                'plain': 'plain.png'}[name]
    assert [str(path.relative_to(tmp_path)) for path in tmp_path.rglob('*.png')] == [expected]


def test_progress_follows_evaluated_passes():
    from tutorial_kit.cli import render_in_passes
    scene = tk.load_string(scene_xml('<emitter type="constant"/>', width=1024, height=1024))
    passes = []
    image = render_in_passes(scene, 9, 1, lambda image, count: passes.append((image.array.state, count)))
    assert passes == [(dr.VarState.Evaluated, 4), (dr.VarState.Evaluated, 4), (dr.VarState.Evaluated, 1)]
    assert np.allclose(image.numpy(), 1, rtol=1e-5)
