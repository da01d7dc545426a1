"""The torch.func per-sample-gradient tutorial's CNN, as the side-by-side
benchmark scripts (grad_vs_functorch.py, cuda_vs_torch.py) run it next to
fnx's definition (tests/testing/tutorial_cnn.h): conv 1->32 3x3, conv
32->64 3x3, max_pool 2, linear 9216->128, linear 128->10, log_softmax +
nll_loss, on 1x28x28 samples.
"""
import torch
import torch.nn.functional as F

SHAPES = {
    "conv1.weight": (32, 1, 3, 3), "conv1.bias": (32,),
    "conv2.weight": (64, 32, 3, 3), "conv2.bias": (64,),
    "fc1.weight": (128, 9216), "fc1.bias": (128,),
    "fc2.weight": (10, 128), "fc2.bias": (10,),
}


def make_params(device=None):
    """Parameters drawn from torch's current generator (seed it first)."""
    return {k: torch.randn(s, device=device) * 0.05 for k, s in SHAPES.items()}


def cnn(params, x):
    h = F.relu(F.conv2d(x, params["conv1.weight"], params["conv1.bias"]))
    h = F.relu(F.conv2d(h, params["conv2.weight"], params["conv2.bias"]))
    h = F.max_pool2d(h, 2)
    h = torch.flatten(h, 1)
    h = F.relu(F.linear(h, params["fc1.weight"], params["fc1.bias"]))
    h = F.linear(h, params["fc2.weight"], params["fc2.bias"])
    return F.log_softmax(h, dim=1)


def example_loss(params, sample, target):
    """The loss of one sample (what vmap(grad) maps over the batch)."""
    return F.nll_loss(cnn(params, sample.unsqueeze(0)), target.unsqueeze(0))
