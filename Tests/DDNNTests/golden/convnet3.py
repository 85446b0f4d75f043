#!/usr/bin/env python3
"""Golden forward values of ConvNet-3 (MNIST geometry: 1×28×28 input, padding 3 on the first conv,
width 128, GroupNorm(128,128), ReLU, 2×2 average pooling, Linear 2048→10), computed independently of dd
with numpy in float64. Weights and inputs come from formulas that the Swift test reproduces:

  parameter t (0-based, PyTorch parameters() order), element i (row-major):
    conv/linear weight or bias: sin(0.37·i + t) / sqrt(fan_in)
    norm weight (γ):            1 + 0.1·sin(0.37·i + t)
    norm bias (β):              0.1·cos(0.37·i + t)
  input x, element j of the [2, 1, 28, 28] batch: sin(0.173·j) + 0.5·cos(0.031·j)

Run: python3 Tests/DDNNTests/golden/convnet3.py  (output committed as convnet3.txt)
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

WIDTH, CLASSES = 128, 10


def weights():
    shapes = [
        ("conv", (WIDTH, 1, 3, 3), 9), ("conv", (WIDTH,), 9), ("gamma", (WIDTH,), 0), ("beta", (WIDTH,), 0),
        ("conv", (WIDTH, WIDTH, 3, 3), WIDTH * 9), ("conv", (WIDTH,), WIDTH * 9), ("gamma", (WIDTH,), 0), ("beta", (WIDTH,), 0),
        ("conv", (WIDTH, WIDTH, 3, 3), WIDTH * 9), ("conv", (WIDTH,), WIDTH * 9), ("gamma", (WIDTH,), 0), ("beta", (WIDTH,), 0),
        ("conv", (CLASSES, 16 * WIDTH), 16 * WIDTH), ("conv", (CLASSES,), 16 * WIDTH),
    ]
    out = []
    for t, (kind, shape, fan_in) in enumerate(shapes):
        phase = 0.37 * np.arange(int(np.prod(shape))) + t
        if kind == "conv":
            v = np.sin(phase) / np.sqrt(fan_in)
        elif kind == "gamma":
            v = 1 + 0.1 * np.sin(phase)
        else:
            v = 0.1 * np.cos(phase)
        out.append(v.reshape(shape))
    return out


def conv2d(x, w, b, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(x, w.shape[2:], axis=(2, 3))  # n, c, h, w, kh, kw
    return np.einsum("nchwij,ocij->nohw", windows, w) + b[None, :, None, None]


def instance_norm(x, gamma, beta):
    mean = x.mean(axis=(2, 3), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=(2, 3), keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * gamma[None, :, None, None] + beta[None, :, None, None]


def avg_pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))


def main():
    j = np.arange(2 * 28 * 28)
    x = (np.sin(0.173 * j) + 0.5 * np.cos(0.031 * j)).reshape(2, 1, 28, 28)
    p = weights()
    h = x
    for block in range(3):
        w, b, g, be = p[4 * block: 4 * block + 4]
        h = conv2d(h, w, b, 3 if block == 0 else 1)
        h = avg_pool(np.maximum(instance_norm(h, g, be), 0))
    embedding = h.reshape(2, -1)
    logits = embedding @ p[12].T + p[13]
    print("embedding shape", embedding.shape)
    print("embedding sum", repr(float(embedding.sum())))
    print("embedding[0, :4]", ", ".join(repr(float(v)) for v in embedding[0, :4]))
    print("embedding[1, 2044:]", ", ".join(repr(float(v)) for v in embedding[1, -4:]))
    for n in range(2):
        print(f"logits[{n}]", ", ".join(repr(float(v)) for v in logits[n]))


if __name__ == "__main__":
    main()
