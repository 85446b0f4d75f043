"""Golden values for DCAugmentTests.swift: DC's rotate op (reference/protocols.md §3.2) computed by scipy
itself — ndimage.rotate(order 3, reshape=True, mode 'constant', cval) on an 11×13 plane, then the centred
crop back to 11×13 with offsets int((out − in) / 2). The input is closed-form so Swift can rebuild it exactly.
Run: python3 dc_rotate.py > dc_rotate.txt   (each line: angle in degrees, then the 11*13 outputs row-major)"""
import numpy as np
from scipy import ndimage

H, W, FILL = 11, 13, 0.25
i, j = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
x = np.sin(0.7 * i + 0.3 * j) + 0.1 * ((7 * i + 3 * j) % 5)

for angle in [-45, -13, 0, 7, 30, 44]:  # the rotated plane covers the 11×13 crop at these angles
    r = ndimage.rotate(x, angle, axes=(-2, -1), order=3, mode="constant", cval=FILL, reshape=True)
    a, b = int((r.shape[0] - H) / 2), int((r.shape[1] - W) / 2)
    print(angle, " ".join(repr(float(v)) for v in r[a:a + H, b:b + W].ravel()))
