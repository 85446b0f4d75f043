#!/usr/bin/env python3
"""Golden logits of the cross-architecture evaluation networks on MNIST geometry (1×28×28, 10 classes),
computed independently of dd with numpy in float64 from /work/shared/reference/networks.md §2.

Weights follow PyTorch parameters() order; parameter t (0-based), element i (row-major):
  conv/linear weight or bias: sin(0.37·i + t) / sqrt(fan_in of that layer)
  norm weight (γ):            1 + 0.1·sin(0.37·i + t)
  norm bias (β):              0.1·cos(0.37·i + t)
Input, element j of the [2, 1, 28, 28] batch: sin(0.173·j) + 0.5·cos(0.031·j).
Batch norm runs in training mode (batch statistics, biased variance, eps 1e-5).

Run: python3 Tests/DDNNTests/golden/evaluation_networks.py  (output committed as evaluation_networks.txt)
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class Params:
    """Hands out formula weights in the order the network asks for them."""

    def __init__(self):
        self.t = 0

    def _next(self, shape):
        phase = 0.37 * np.arange(int(np.prod(shape))) + self.t
        self.t += 1
        return phase

    def uniform(self, shape, fan_in):
        return (np.sin(self._next(shape)) / np.sqrt(fan_in)).reshape(shape)

    def conv(self, cin, cout, k, bias=True):
        w = self.uniform((cout, cin, k, k), cin * k * k)
        b = self.uniform((cout,), cin * k * k) if bias else np.zeros(cout)
        return w, b

    def linear(self, fin, fout):
        return self.uniform((fout, fin), fin), self.uniform((fout,), fin)

    def norm(self, c):
        g = 1 + 0.1 * np.sin(self._next((c,)))
        b = 0.1 * np.cos(self._next((c,)))
        return g, b


def conv2d(x, wb, stride=1, pad=0):
    w, b = wb
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(x, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,ocij->nohw", windows, w, optimize=True) + b[None, :, None, None]


def group_norm_cc(x, gb):  # GroupNorm(C, C): per sample and channel over H×W
    g, b = gb
    m = x.mean(axis=(2, 3), keepdims=True)
    v = ((x - m) ** 2).mean(axis=(2, 3), keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * g[None, :, None, None] + b[None, :, None, None]


def batch_norm_train(x, gb):  # per channel over N×H×W
    g, b = gb
    m = x.mean(axis=(0, 2, 3), keepdims=True)
    v = ((x - m) ** 2).mean(axis=(0, 2, 3), keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * g[None, :, None, None] + b[None, :, None, None]


def pool(x, k, reduce):
    n, c, h, w = x.shape
    x = x[:, :, : h // k * k, : w // k * k]
    return reduce(x.reshape(n, c, h // k, k, w // k, k), axis=(3, 5))


def relu(x):
    return np.maximum(x, 0)


def dense(x, wb):
    return x @ wb[0].T + wb[1]


def mlp(x, p):
    h = x.reshape(len(x), -1)
    h = relu(dense(h, p.linear(784, 128)))
    h = relu(dense(h, p.linear(128, 128)))
    return dense(h, p.linear(128, 10))


def lenet(x, p):
    h = pool(relu(conv2d(x, p.conv(1, 6, 5), pad=2)), 2, np.max)
    h = pool(relu(conv2d(h, p.conv(6, 16, 5))), 2, np.max)
    h = h.reshape(len(h), -1)
    h = relu(dense(h, p.linear(400, 120)))
    h = relu(dense(h, p.linear(120, 84)))
    return dense(h, p.linear(84, 10))


def alexnet(x, p):
    h = pool(relu(conv2d(x, p.conv(1, 128, 5), pad=4)), 2, np.max)
    h = pool(relu(conv2d(h, p.conv(128, 192, 5), pad=2)), 2, np.max)
    h = relu(conv2d(h, p.conv(192, 256, 3), pad=1))
    h = relu(conv2d(h, p.conv(256, 192, 3), pad=1))
    h = pool(relu(conv2d(h, p.conv(192, 192, 3), pad=1)), 2, np.max)
    return dense(h.reshape(len(h), -1), p.linear(3072, 10))


def vgg11(x, p):
    h, cin = x, 1
    for i, item in enumerate([64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]):
        if item == "M":
            h = pool(h, 2, np.max)
            continue
        h = conv2d(h, p.conv(cin, item, 3), pad=3 if i == 0 else 1)
        h = relu(group_norm_cc(h, p.norm(item)))
        cin = item
    return dense(h.reshape(len(h), -1), p.linear(512, 10))


def resnet18(x, p, norm, average_pool_downsampling):
    h = relu(norm(conv2d(x, p.conv(1, 64, 3, bias=False), pad=1), p.norm(64)))
    cin = 64
    for planes, stage_stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        for block in range(2):
            stride = stage_stride if block == 0 else 1
            down = average_pool_downsampling and stride == 2
            # Parameter order: conv1, bn1, conv2, bn2, then the shortcut's conv and norm.
            c1, n1 = p.conv(cin, planes, 3, bias=False), p.norm(planes)
            c2, n2 = p.conv(planes, planes, 3, bias=False), p.norm(planes)
            out = relu(norm(conv2d(h, c1, stride=1 if down else stride, pad=1), n1))
            if down:
                out = pool(out, 2, np.mean)
            out = norm(conv2d(out, c2, pad=1), n2)
            if stride != 1 or cin != planes:
                sc, sn = p.conv(cin, planes, 1, bias=False), p.norm(planes)
                skip = conv2d(h, sc, stride=1 if down else stride)
                if down:
                    skip = pool(skip, 2, np.mean)
                skip = norm(skip, sn)
            else:
                skip = h
            h = relu(out + skip)
            cin = planes
    if not average_pool_downsampling:
        h = pool(h, 4, np.mean)
    h = h.reshape(len(h), -1)
    return dense(h, p.linear(h.shape[1], 10))


def main():
    j = np.arange(2 * 28 * 28)
    x = (np.sin(0.173 * j) + 0.5 * np.cos(0.031 * j)).reshape(2, 1, 28, 28)
    nets = {
        "mlp": mlp, "lenet": lenet, "alexnet": alexnet, "vgg11": vgg11,
        "resnet18": lambda x, p: resnet18(x, p, group_norm_cc, False),
        "resnet18-bn-ap": lambda x, p: resnet18(x, p, batch_norm_train, True),
    }
    for name, net in nets.items():
        p = Params()
        logits = net(x, p)
        print(f"{name} ({p.t} tensors)")
        for n in range(2):
            print(f"  logits[{n}]", ", ".join(repr(float(v)) for v in logits[n]))


if __name__ == "__main__":
    main()
