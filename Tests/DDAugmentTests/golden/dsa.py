"""Golden forward values for DSAGoldenTests.swift: each DSA transform with fixed parameters, computed
independently with plain numpy loops from the definitions in shared/reference/protocols.md §2.4.
Bilinear sampling follows torch.nn.functional.grid_sample(mode='bilinear', padding_mode='zeros',
align_corners=True) with affine_grid(align_corners=True).
The input is closed-form so Swift can rebuild it exactly.
Run: python3 dsa.py > dsa.txt   (each line: name, then the N*C*H*W outputs in NCHW order)"""
import math
import numpy as np

N, C, H, W = 2, 3, 6, 7
x = np.sin(0.37 * np.arange(N * C * H * W) + 0.1).reshape(N, C, H, W)


def brightness(x, shift):
    return np.stack([x[n] + shift[n] for n in range(len(x))])


def saturation(x, factor):
    out = np.empty_like(x)
    for n in range(len(x)):
        m = x[n].mean(axis=0)  # per pixel, over channels
        out[n] = (x[n] - m) * factor[n] + m
    return out


def contrast(x, factor):
    out = np.empty_like(x)
    for n in range(len(x)):
        m = x[n].mean()  # over C, H, W
        out[n] = (x[n] - m) * factor[n] + m
    return out


def crop(x, rows, cols):
    out = np.zeros_like(x)
    for n in range(len(x)):
        for i in range(H):
            for j in range(W):
                si, sj = i + rows[n], j + cols[n]
                if 0 <= si < H and 0 <= sj < W:
                    out[n, :, i, j] = x[n, :, si, sj]
    return out


def cutout(x, centre_rows, centre_cols, h, w):
    out = x.copy()
    for n in range(len(x)):
        for i in range(centre_rows[n] - h // 2, centre_rows[n] - h // 2 + h):
            for j in range(centre_cols[n] - w // 2, centre_cols[n] - w // 2 + w):
                if 0 <= i < H and 0 <= j < W:
                    out[n, :, i, j] = 0
    return out


def flip(x, flipped):
    return np.stack([x[n, :, :, ::-1] if flipped[n] else x[n] for n in range(len(x))])


def affine_sample(x, thetas):
    """Output pixel (i, j) at normalised (xo, yo) reads the input at theta @ (xo, yo, 1), bilinear, 0 outside."""
    out = np.zeros_like(x)
    for n in range(len(x)):
        t = thetas[n]
        for i in range(H):
            for j in range(W):
                xo, yo = -1 + 2 * j / (W - 1), -1 + 2 * i / (H - 1)
                xs = t[0][0] * xo + t[0][1] * yo + t[0][2]
                ys = t[1][0] * xo + t[1][1] * yo + t[1][2]
                px, py = (xs + 1) / 2 * (W - 1), (ys + 1) / 2 * (H - 1)
                x0, y0 = math.floor(px), math.floor(py)
                for yy, wy in ((y0, 1 - (py - y0)), (y0 + 1, py - y0)):
                    for xx, wx in ((x0, 1 - (px - x0)), (x0 + 1, px - x0)):
                        if 0 <= yy < H and 0 <= xx < W:
                            out[n, :, i, j] += wy * wx * x[n, :, yy, xx]
    return out


def scale(x, sx, sy):
    return affine_sample(x, [[[sx[n], 0, 0], [0, sy[n], 0]] for n in range(len(x))])


def rotate(x, radians):
    return affine_sample(x, [[[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0]] for a in radians])


# Fixed parameters; the Swift test builds the same DSATransform values. cutout 3x4 = int(6*0.5+0.5) x
# int(7*0.5+0.5), the sizes a draw makes at this geometry (odd and even sides; one square hangs outside).
cases = [
    ("brightness", lambda x: brightness(x, [0.3, -0.2])),
    ("saturation", lambda x: saturation(x, [1.7, 0.4])),
    ("contrast", lambda x: contrast(x, [1.3, 0.6])),
    ("crop", lambda x: crop(x, [2, -1], [-3, 1])),
    ("cutout", lambda x: cutout(x, [1, 6], [0, 4], 3, 4)),
    ("flip", lambda x: flip(x, [True, False])),
    ("scale", lambda x: scale(x, [1.15, 0.87], [0.9, 1.19])),
    ("rotate", lambda x: rotate(x, [0.2, -0.25])),
    ("siamese_rotate", lambda x: rotate(x, [-0.1, -0.1])),
    ("chain", lambda x: rotate(scale(flip(cutout(crop(contrast(saturation(brightness(
        x, [0.3, -0.2]), [1.7, 0.4]), [1.3, 0.6]), [2, -1], [-3, 1]), [1, 6], [0, 4], 3, 4),
        [True, False]), [1.15, 0.87], [0.9, 1.19]), [0.2, -0.25])),
]
for name, f in cases:
    print(name, " ".join(repr(float(v)) for v in f(x).ravel()))
