"""DFT and STFT nodes for test/onnx/fourier.test, with numpy.fft's answers:

  dft_pad        real [N, 6, 5, 1] along axis 1 at dft_length 8 (zeros added),
                 onesided (5 bins), the batch on axis 0
  dft_cut        complex [2, 3, 7, 2] along axis 2 at dft_length 4 (cut)
  dft_inverse    complex [2, 8, 2] inverse along axis 1
  stft_window    real [N, 40, 1] signals, frames of 16 every 6 with a Hann
                 window, onesided: [N, 5, 9, 2]

usage: make_fourier_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(11)
F = TensorProto.FLOAT


def save(name, node, inputs, outputs, inits=()):
    m = helper.make_model(helper.make_graph([node], name, inputs, outputs, list(inits)),
                          opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


def npy(name, a):
    np.save(os.path.join(out, name + ".npy"), a.astype(np.float32))


def parts(c):
    return np.stack([c.real, c.imag], axis=-1)


def length(name, n):
    return numpy_helper.from_array(np.array(n, np.int64), name)


x = rng.standard_normal((3, 6, 5, 1)).astype(np.float32)
save("dft_pad", helper.make_node("DFT", ["x", "n"], ["y"], axis=1, onesided=1),
     [helper.make_tensor_value_info("x", F, ["N", 6, 5, 1])],
     [helper.make_tensor_value_info("y", F, ["N", 5, 5, 2])], [length("n", 8)])
npy("dft_pad.x", x)
npy("dft_pad.want", parts(np.fft.rfft(x[..., 0], n=8, axis=1)))

x = rng.standard_normal((2, 3, 7, 2)).astype(np.float32)
save("dft_cut", helper.make_node("DFT", ["x", "n"], ["y"], axis=2),
     [helper.make_tensor_value_info("x", F, [2, 3, 7, 2])],
     [helper.make_tensor_value_info("y", F, [2, 3, 4, 2])], [length("n", 4)])
npy("dft_cut.x", x)
npy("dft_cut.want", parts(np.fft.fft(x[..., 0] + 1j * x[..., 1], n=4, axis=2)))

x = rng.standard_normal((2, 8, 2)).astype(np.float32)
save("dft_inverse", helper.make_node("DFT", ["x"], ["y"], axis=1, inverse=1),
     [helper.make_tensor_value_info("x", F, [2, 8, 2])],
     [helper.make_tensor_value_info("y", F, [2, 8, 2])])
npy("dft_inverse.x", x)
npy("dft_inverse.want", parts(np.fft.ifft(x[..., 0] + 1j * x[..., 1], axis=1)))

x = rng.standard_normal((2, 40, 1)).astype(np.float32)
hann = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(16) / 16)).astype(np.float32)
save("stft_window", helper.make_node("STFT", ["x", "step", "w"], ["y"]),
     [helper.make_tensor_value_info("x", F, ["N", 40, 1])],
     [helper.make_tensor_value_info("y", F, ["N", 5, 9, 2])],
     [length("step", 6), numpy_helper.from_array(hann, "w")])
npy("stft_window.x", x)
frames = np.stack([x[:, f * 6:f * 6 + 16, 0] * hann for f in range(5)], axis=1)
npy("stft_window.want", parts(np.fft.rfft(frames, axis=2)))
