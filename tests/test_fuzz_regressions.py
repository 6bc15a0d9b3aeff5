"""Cases that ``make fuzz`` found, kept as plain tests so that they stay fixed."""
import gc

import numpy as np
import pytest

import tutorial_kit as tk

from helpers import small_cbox, scene_xml
from test_fuzz import ply_file
from tutorial_kit.io.ply import read_ply


def test_a_field_of_view_assigned_along_x_reads_back_exactly():
    """x_fov went through tan and atan on its way back: a field of view of
    2.225073858507e-311 degrees (a subnormal float) read back as ...473e-311."""
    params = tk.traverse(small_cbox(8))
    tiny = 2.225073858507e-311
    params['PerspectiveCamera.x_fov'] = [tiny]
    assert params['PerspectiveCamera.x_fov'] == tiny
    assert params['PerspectiveCamera.fov'] == tiny
    params['PerspectiveCamera.x_fov'] = 39.3077
    assert params['PerspectiveCamera.x_fov'] == 39.3077


@pytest.mark.parametrize('collecting', [True, False])
def test_loading_leaves_the_garbage_collector_as_it_found_it(collecting):
    """The loader pauses Python's cyclic collector while it builds a scene (a third
    of the loading time of 20,000 shapes went to it); it restores it afterwards,
    also after a refused file."""
    was = gc.isenabled()
    try:
        (gc.enable if collecting else gc.disable)()
        tk.load_string(scene_xml('<shape type="rectangle"/>'))
        assert gc.isenabled() == collecting
        with pytest.raises(tk.SceneError):
            tk.load_string(scene_xml('<shape type="rectangle"><float name="radiu" value="1"/></shape>'))
        assert gc.isenabled() == collecting
        tk.load_dict({'type': 'scene', 'shape': {'type': 'rectangle'}})
        assert gc.isenabled() == collecting
    finally:
        (gc.enable if was else gc.disable)()


def test_a_refused_vertex_count_change_leaves_computed_normals_bit_for_bit():
    """A box mesh without normals in its file gets them computed on the host at
    load. Positions of another count that its faces cannot index are refused at
    update(), and the rollback refreshed the mesh again, recomputing the normals
    on the device: values differing in the last bits (0 became 1.1e-10)."""
    scene = small_cbox(8)
    params = tk.traverse(scene)
    key = next(k for k in params.keys() if k.endswith('vertex_normals')
               and params.parameter(k).owner.derived_normals)
    positions_key = key.replace('vertex_normals', 'vertex_positions')
    normals = params[key].numpy().copy()
    params[positions_key] = tk.Float([-1, -3, 1.13])
    with pytest.raises(tk.ParameterError, match='left as it was'):
        params.update()
    np.testing.assert_array_equal(params[key].numpy(), normals)
    assert params.update() == []


def test_a_binary_ply_face_of_fewer_than_3_corners_is_named(tmp_path):
    """The fast read that takes every face for a triangle failed with "early end
    of file" on a shorter face, which was not retried the general way: the
    message spoke of a truncated file instead of the face."""
    path = tmp_path / 'mesh.ply'
    path.write_bytes(ply_file(True, faces=[[0, 1, 2], [0, 1]]))
    with pytest.raises(tk.MeshError, match='face 1 has 2 vertices; a face needs at least 3'):
        read_ply(path)
