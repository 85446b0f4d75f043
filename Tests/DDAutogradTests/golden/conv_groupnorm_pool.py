"""Golden values for GoldenValueTests.swift: conv(3x3, pad 1, bias) -> GroupNorm(3, 3) -> ReLU -> AvgPool(2),
computed independently with plain numpy loops. Inputs are closed-form so Swift can rebuild them exactly.
Run: python3 conv_groupnorm_pool.py > conv_groupnorm_pool.txt"""
import numpy as np

N, C, H, W, O, K = 2, 2, 6, 6, 3, 3
x = np.sin(0.37 * np.arange(N * C * H * W) + 0.1).reshape(N, C, H, W)
w = 0.3 * np.cos(0.11 * np.arange(O * C * K * K) + 0.2).reshape(O, C, K, K)
b = 0.05 * (np.arange(O) - 1.0)
gamma = 1 + 0.1 * np.arange(O)
beta = -0.02 * np.arange(O)

xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
y = np.zeros((N, O, H, W))
for n in range(N):
    for o in range(O):
        for i in range(H):
            for j in range(W):
                y[n, o, i, j] = np.sum(xp[n, :, i:i + K, j:j + K] * w[o]) + b[o]

# GroupNorm(groups=3, channels=3): per (sample, channel) statistics, biased variance, eps 1e-5.
mean = y.mean(axis=(2, 3), keepdims=True)
var = y.var(axis=(2, 3), keepdims=True)
z = (y - mean) / np.sqrt(var + 1e-5) * gamma[None, :, None, None] + beta[None, :, None, None]
z = np.maximum(z, 0)
out = z.reshape(N, O, H // 2, 2, W // 2, 2).mean(axis=(3, 5))
print(" ".join(repr(float(v)) for v in out.ravel()))
