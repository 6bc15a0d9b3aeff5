"""The scripting API against Mitsuba 3: the same queries on the same scene give the same values.

Skipped when Mitsuba 3 is not installed.
"""
import os

import numpy as np
import pytest

import drjit as dr
import tutorial_kit as tk
from helpers import ROOT, load_bsdf, scene_xml

mi = pytest.importorskip('mitsuba')
pytestmark = pytest.mark.mitsuba

SHAPES = '''
<shape type="rectangle">
    <transform name="to_world"><scale x="2" y="1.5"/><rotate x="1" angle="30"/><translate z="-1"/></transform>
</shape>
<shape type="cube">
    <transform name="to_world"><scale value="0.4"/><rotate y="1" angle="20"/><translate x="0.8" z="0.5"/></transform>
</shape>'''


@pytest.fixture(scope='module', autouse=True)
def mitsuba_variant():
    mi.set_variant('llvm_ad_rgb')


def columns(values):
    return np.asarray(values, dtype=np.float32).T


def rows(vectors):
    return np.asarray(vectors.numpy()).T


def test_ray_intersect_agrees_with_mitsuba():
    xml = scene_xml(SHAPES)
    ours, theirs = tk.load_string(xml), mi.load_string(xml)
    rng = np.random.default_rng(3)
    count = 2000
    origin = np.tile([0.1, -0.2, 4.0], (count, 1))
    target = rng.uniform([-2.5, -2, -1.5], [2.5, 2, 1], (count, 3))
    d = target - origin
    d /= np.linalg.norm(d, axis=1)[:, None]
    si = ours.ray_intersect(tk.Ray3f(o=tk.Point3f(*columns(origin)), d=tk.Vector3f(*columns(d))))
    ref = theirs.ray_intersect(mi.Ray3f(o=mi.Point3f(*columns(origin)), d=mi.Vector3f(*columns(d))))
    valid = si.is_valid().numpy()
    assert np.array_equal(valid, ref.is_valid().numpy())
    assert 0.3 * count < valid.sum() < count
    assert np.allclose(si.t.numpy()[valid], ref.t.numpy()[valid], rtol=1e-5)
    assert np.allclose(rows(si.p)[valid], rows(ref.p)[valid], atol=1e-5)
    assert np.allclose(rows(si.n)[valid], rows(ref.n)[valid], atol=1e-5)
    assert np.allclose(rows(si.sh_frame.n)[valid], rows(ref.sh_frame.n)[valid], atol=1e-5)
    on_rectangle = valid & (si.shape.numpy() == 0)       # the cube's faces are parameterised otherwise
    assert np.allclose(rows(si.uv)[on_rectangle], rows(ref.uv)[on_rectangle], atol=1e-5)
    assert np.allclose(rows(si.wi)[valid][:, 2], rows(ref.wi)[valid][:, 2], atol=1e-5)


def directions(theta, phi):
    return np.stack([np.cos(phi) * np.sin(theta), np.sin(phi) * np.sin(theta), np.cos(theta)], axis=1)


@pytest.mark.parametrize('xml, entries', [
    ('<bsdf type="roughconductor"><float name="alpha" value="0.2"/><string name="distribution" value="ggx"/></bsdf>',
     {'type': 'roughconductor', 'alpha': 0.2, 'distribution': 'ggx'}),
    ('<bsdf type="roughconductor"><float name="alpha" value="0.3"/><rgb name="eta" value="0.2, 0.9, 1.1"/>'
     '<rgb name="k" value="3.9, 2.4, 2.2"/></bsdf>',
     {'type': 'roughconductor', 'alpha': 0.3, 'eta': {'type': 'rgb', 'value': [0.2, 0.9, 1.1]},
      'k': {'type': 'rgb', 'value': [3.9, 2.4, 2.2]}}),
    ('<bsdf type="diffuse"><rgb name="reflectance" value="0.2, 0.5, 0.7"/></bsdf>',
     {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.2, 0.5, 0.7]}}),
])
def test_bsdf_eval_sample_pdf_agree_with_mitsuba(xml, entries):
    # As the BSDF tutorial does: a zero interaction, wi at 45 degrees, a grid of wo.
    ours, theirs = load_bsdf(xml), mi.load_dict(entries)
    theta, phi = np.meshgrid(np.linspace(0, np.pi, 40), np.linspace(0, 2 * np.pi, 80))
    wo = directions(theta.ravel(), phi.ravel())
    wi = directions(np.array([np.pi / 4]), np.array([0.0]))[0]
    si = dr.zeros(tk.SurfaceInteraction3f)
    si.wi = tk.Vector3f(*(float(c) for c in wi))
    ref_si = dr.zeros(mi.SurfaceInteraction3f)
    ref_si.wi = mi.Vector3f(*(float(c) for c in wi))
    ctx, ref_ctx = tk.BSDFContext(), mi.BSDFContext()
    value = rows(ours.eval(ctx, si, tk.Vector3f(*columns(wo))))
    expected = rows(theirs.eval(ref_ctx, ref_si, mi.Vector3f(*columns(wo))))
    assert expected.max() > 0.1
    # 5e-3: Mitsuba 3's Beckmann G1 is a rational fit (< 0.35 % off), ours the exact formula.
    assert np.allclose(value, expected, rtol=5e-3, atol=1e-5)
    pdf = ours.pdf(ctx, si, tk.Vector3f(*columns(wo))).numpy()
    assert np.allclose(pdf, theirs.pdf(ref_ctx, ref_si, mi.Vector3f(*columns(wo))).numpy(), rtol=2e-3, atol=1e-5)

    rng = np.random.default_rng(5)
    s1, s2 = rng.random(500).astype(np.float32), rng.random((500, 2)).astype(np.float32)
    bs, weight = ours.sample(ctx, si, tk.Float(s1), tk.Point2f(*s2.T))
    ref_bs, ref_weight = theirs.sample(ref_ctx, ref_si, mi.Float(s1), mi.Point2f(*s2.T))
    keep = (ref_bs.pdf.numpy() > 0) & (bs.pdf.numpy() > 0)
    assert keep.sum() > 400
    assert np.allclose(rows(bs.wo)[keep], rows(ref_bs.wo)[keep], atol=2e-4)
    assert np.allclose(bs.pdf.numpy()[keep], ref_bs.pdf.numpy()[keep], rtol=2e-3)
    assert np.all(np.broadcast_to(bs.sampled_type.numpy(), (500,))[keep]
                  == np.broadcast_to(ref_bs.sampled_type.numpy(), (500,))[keep])
    assert np.allclose(rows(weight)[keep], rows(ref_weight)[keep], rtol=5e-3, atol=1e-5)
    assert int(ours.flags()) == int(theirs.flags())


def test_emitter_sampling_agrees_with_mitsuba():
    # The two sample the lamp with different maps from the unit square, so the
    # points differ one by one; the estimates of the light arriving do not.
    lamp = '''<shape type="rectangle"><transform name="to_world"><scale value="0.5"/>
        <rotate x="1" angle="160"/><translate z="2"/></transform>
        <emitter type="area"><rgb name="radiance" value="4, 3, 2"/></emitter></shape>'''
    xml = scene_xml(lamp)
    ours, theirs = tk.load_string(xml), mi.load_string(xml)
    count = 20000
    sample = np.random.default_rng(2).random((count, 2)).astype(np.float32)
    ref = dr.zeros(tk.Interaction3f, count)
    ref.p = tk.Point3f(0.1, 0.2, 0.0)
    it = dr.zeros(mi.Interaction3f, count)
    it.p = mi.Point3f(0.1, 0.2, 0.0)
    ds, weight = ours.sample_emitter_direction(ref, tk.Point2f(*sample.T), test_visibility=False)
    ref_ds, ref_weight = theirs.sample_emitter_direction(it, mi.Point2f(*sample.T), False)
    assert np.allclose(rows(weight).mean(axis=0), rows(ref_weight).mean(axis=0), rtol=0.01)
    assert np.allclose(rows(weight) * ds.pdf.numpy()[:, None], [4, 3, 2], rtol=1e-4)
    assert np.allclose(ds.pdf.numpy().mean(), ref_ds.pdf.numpy().mean(), rtol=0.01)
    assert np.allclose(ours.pdf_emitter_direction(ref, ds).numpy(), ds.pdf.numpy(), rtol=1e-5)


def test_diffuse_reflectance_of_each_bsdf_as_mitsuba_gives_it():
    """``si.bsdf().eval_diffuse_reflectance(si)``, what albedo AOVs read: the diffuse
    texture of diffuse and plastic BSDFs (through twosided), and for others
    Mitsuba 3's default, the BSDF towards the normal times pi."""
    results = []
    for r in (mi, tk):
        scene = r.load_dict({
            'type': 'scene',
            'a': {'type': 'sphere', 'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.2, 0.4, 0.6]}}},
            'b': {'type': 'rectangle', 'to_world': r.ScalarTransform4f().translate([3, 0, -3]).scale(2),
                  'bsdf': {'type': 'roughplastic', 'diffuse_reflectance': {'type': 'rgb', 'value': [0.5, 0.1, 0.1]}}},
            'c': {'type': 'rectangle', 'to_world': r.ScalarTransform4f().translate([6, 0, -3]),
                  'bsdf': {'type': 'plastic', 'diffuse_reflectance': {'type': 'rgb', 'value': [0.1, 0.5, 0.1]}}},
            'd': {'type': 'rectangle', 'to_world': r.ScalarTransform4f().translate([8, 0, -3]),
                  'bsdf': {'type': 'twosided', 'bsdf': {'type': 'diffuse', 'reflectance': {'type': 'rgb', 'value': [0.3, 0.3, 0.9]}}}},
            'e': {'type': 'rectangle', 'to_world': r.ScalarTransform4f().translate([0, 0, -5]).scale(20),
                  'bsdf': {'type': 'roughconductor', 'alpha': 0.3}}})
        si = scene.ray_intersect(r.Ray3f(r.Point3f([0.0, 3.0, 6.0, 8.0, -5.0], 0.0, 5.0), r.Vector3f(0, 0, -1)))
        results.append(np.array(si.bsdf().eval_diffuse_reflectance(si)))
    theirs, ours = results
    assert np.allclose(ours, theirs, rtol=1e-4)
    assert np.allclose(ours[1, :4], [0.4, 0.1, 0.5, 0.3], rtol=1e-5)      # green, lane by lane


def test_shape_and_mesh_queries_as_in_mitsuba():
    """What a script asks of a shape: per-vertex and per-face data, primitive counts, flags."""
    answers = []
    for r in (mi, tk):
        mesh = r.load_dict({'type': 'obj', 'filename': os.path.join(ROOT, 'scenes', 'materials', 'sphere.obj'),
                            'flip_normals': True})
        ball = r.load_dict({'type': 'sphere', 'emitter': {'type': 'area'}})
        index = r.UInt32([0, 7, 100])
        answers.append([np.array(mesh.vertex_position(index)), np.array(mesh.vertex_normal(index)),
                        np.array(mesh.vertex_texcoord(index)), np.array(mesh.face_indices(index)),
                        mesh.has_face_normals(), mesh.primitive_count(), mesh.is_emitter(), ball.is_emitter(),
                        ball.primitive_count(), mesh.has_flipped_normals(), ball.has_flipped_normals(),
                        ball.is_sensor()])
    theirs, ours = answers
    for a, b in zip(theirs[:4], ours[:4]):
        assert np.allclose(a, b, atol=1e-6)
    assert theirs[4:] == ours[4:] == [False, 2208, False, True, 1, True, False, False]
