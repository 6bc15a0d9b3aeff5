"""The renderer as a PyTorch node (skipped when PyTorch is not installed)."""
import drjit as dr
import numpy as np
import pytest

import tutorial_kit as tk
from helpers import small_cbox

torch = pytest.importorskip('torch')
RED = 'red.reflectance.value'


def test_gradient_matches_drjit():
    """The same loss and seed give the same gradient through PyTorch and in Dr.Jit."""
    scene = small_cbox()
    weights = np.random.default_rng(0).random((32, 32, 3)).astype(np.float32)
    value = [0.5, 0.3, 0.2]

    red = torch.tensor(value, requires_grad=True)
    render_torch = tk.torch_renderer(scene, [RED], spp=2)
    scene.render_count = 100                        # same samples as below
    image = render_torch(red)
    assert tuple(image.shape) == (32, 32, 3)
    (image * torch.from_numpy(weights)).sum().backward()

    params = tk.traverse(scene)
    params[RED] = value
    params.update()
    dr.enable_grad(params[RED])
    scene.render_count = 100
    image = tk.render(scene, spp=2, unbiased=False)    # as torch_renderer by default: one set of samples
    dr.backward(dr.sum(image * tk.TensorXf(weights), axis=None))
    assert np.allclose(red.grad.numpy(), dr.grad(params[RED]).numpy().ravel(), rtol=1e-4)


def test_torch_adam_recovers_the_red_wall():
    scene = small_cbox(64)
    params = tk.traverse(scene)
    truth = params[RED].numpy().ravel()
    image_ref = tk.render(scene, spp=8, seed=0).torch()
    render_torch = tk.torch_renderer(scene, [RED], spp=4, unbiased=True)
    red = torch.tensor([.9, .9, .9], requires_grad=True)
    opt = torch.optim.Adam([red], lr=.1)
    # Adam at 1 spp keeps wandering around the truth by about the tolerance;
    # 4 spp and enough steps that no one noise realisation decides the outcome.
    for _ in range(60):
        opt.zero_grad()
        torch.mean((render_torch(red) - image_ref) ** 2).backward()
        opt.step()
        with torch.no_grad():
            red.clamp_(0, 1)
    assert np.sum((red.detach().numpy() - truth) ** 2) < 1e-2
    render_torch.store(red)
    stored = params[RED]
    assert not dr.grad_enabled(stored) and np.allclose(stored.numpy().ravel(), red.detach().numpy())


def test_store_is_all_or_nothing():
    scene = small_cbox()
    keys = [RED, 'green.reflectance.value']
    params = tk.traverse(scene)
    before = [params[key].numpy().copy() for key in keys]
    render_torch = tk.torch_renderer(scene, keys)
    with pytest.raises(tk.ParameterError):
        render_torch.store(torch.tensor([.1, .2, .3]), torch.tensor([.1, .2]))   # the second is wrong
    for key, value in zip(keys, before):
        assert np.array_equal(params[key].numpy(), value)


def test_wrong_number_of_tensors():
    render_torch = tk.torch_renderer(small_cbox(), [RED])
    with pytest.raises(TypeError, match='expected 1 tensors'):
        render_torch()


def test_dr_wrap_around_render_as_mitsubas_tutorial_writes_it():
    """``@dr.wrap(source='torch', target='drjit')`` around a function that assigns
    a PyTorch tensor to a parameter and renders: PyTorch receives Dr.Jit's gradient."""
    scene = small_cbox(16)
    params = tk.traverse(scene)

    @dr.wrap(source='torch', target='drjit')
    def render_red(red, spp=2, seed=1):
        params[RED] = red
        params.update()
        return tk.render(scene, params, spp=spp, seed=seed, seed_grad=seed + 1)

    weights = np.random.default_rng(3).random((16, 16, 3)).astype(np.float32)
    red = torch.tensor([0.5, 0.3, 0.2], requires_grad=True)
    image = render_red(red)
    assert isinstance(image, torch.Tensor) and tuple(image.shape) == (16, 16, 3)
    (image * torch.from_numpy(weights)).sum().backward()

    params[RED] = tk.Color3f(0.5, 0.3, 0.2)
    params.update()
    dr.enable_grad(params[RED])
    image = tk.render(scene, params, spp=2, seed=1, seed_grad=2)
    dr.backward(dr.sum(image * tk.TensorXf(weights), axis=None))
    expected = dr.grad(params[RED]).numpy().ravel()
    assert np.all(np.abs(expected) > 0)
    np.testing.assert_allclose(red.grad.numpy(), expected, rtol=1e-4)


def test_dr_wrap_from_drjit_into_torch():
    """The other way: a PyTorch function inside a Dr.Jit loss; the derivative
    reaches the scene parameter through it."""
    scene = small_cbox(16)
    params = red_params = tk.traverse(scene)
    red_params.keep([RED])

    @dr.wrap(source='drjit', target='torch')
    def torch_loss(image):
        return (image ** 2).mean()

    dr.enable_grad(params[RED])
    image = tk.render(scene, params, spp=2, seed=1, seed_grad=2)
    dr.backward(torch_loss(image))
    through_torch = dr.grad(params[RED]).numpy().ravel()

    dr.disable_grad(params[RED])
    dr.enable_grad(params[RED])
    image = tk.render(scene, params, spp=2, seed=1, seed_grad=2)
    dr.backward(dr.mean(dr.square(image), axis=None))
    np.testing.assert_allclose(through_torch, dr.grad(params[RED]).numpy().ravel(), rtol=1e-4)
