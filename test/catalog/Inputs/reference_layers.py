#!/usr/bin/env python3
"""PyTorch reference values for the convolution variants, resampling layers
rms_norm and the pooling options (trace_conv_groups.nn,
trace_conv_transpose.nn, trace_conv_weight_input.nn, trace_resampling.nn,
trace_rms_norm.nn, trace_pad.nn, trace_maxpool_ties.nn, trace_maxpool_nan.nn,
trace_pool_options.nn, trace_relu_maxpool.nn,
trace_upsample_modes.nn, trace_conv_implicit.nn).

Run ONCE with a Python that has torch (1.13 was used):
    /usr/bin/python3 test/catalog/Inputs/reference_layers.py OUTDIR
It writes, into OUTDIR, per test: NAME.expect.json (every value and gradient
the test reads from `nnc train --trace`, and the parameters after one SGD
step as after_PARAM) and NAME.params.json (the initial parameters, PyTorch's
default initialisation under a fixed seed, in nnc's layouts). It prints the
inline data blocks the tests paste. All float64, a batch of 2, one SGD step
with lr 0.1.

Layouts: nnc images are [N, H, W, C] (PyTorch: [N, C, H, W]) and sequences
[N, L, C] (PyTorch: [N, C, L]); conv weights are [KH, KW, C/G, F] and
[K, C/G, F] (PyTorch: [F, C/G, KH, KW], [F, C/G, K]); conv2d_transpose
weights [KH, KW, F, C] (PyTorch: [C, F, KH, KW]). Every value below is
compared in nnc's layout. The tests have the form z = x + b (b zeros), so
d_z is dloss/dx.
rms_norm is written out (PyTorch 1.13 has no nn.RMSNorm): 2.4's formula,
x * rsqrt(mean(x^2) + eps) * weight, eps = finfo(float64).eps by default.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
LR = 0.1


def rounded(shape, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g) * scale * 100).round() / 100


def flat(t):
    return t.detach().flatten().tolist()


def image(t):  # [N, C, H, W] -> nnc's [N, H, W, C]
    return t.permute(0, 2, 3, 1)


def sequence(t):  # [N, C, L] -> nnc's [N, L, C]
    return t.permute(0, 2, 1)


def conv_weight(w):  # [F, C/G, KH, KW] or [F, C/G, K] -> HWIO / [K, C/G, F]
    return w.permute(2, 3, 1, 0) if w.dim() == 4 else w.permute(2, 1, 0)


def transposed_weight(w):  # [C, F, KH, KW] -> [KH, KW, F, C]
    return w.permute(2, 3, 1, 0)


# The shared data: x an image batch [2, 4, 5, 4] (nnc layout), s a sequence
# batch [2, 6, 4].
X = rounded((2, 4, 5, 4), 31)
S = rounded((2, 6, 4), 32)


def inputs():
    x = X.permute(0, 3, 1, 2).clone().requires_grad_(True)  # [N, C, H, W]
    s = S.permute(0, 2, 1).clone().requires_grad_(True)     # [N, C, L]
    return x, s


def finish(name, out, values, loss, modules, to_nnc):
    """Backward, then write the expectations and the initial parameters."""
    loss.backward()
    expect = {}
    for key, (v, layout) in values.items():
        expect[key] = flat(layout(v))
    params = {}
    for prefix, m in modules.items():
        for pname, p in m.named_parameters():
            convert = to_nnc.get((prefix, pname), lambda t: t)
            params[f"{prefix}.{pname}"] = convert(p.detach()).tolist()
            expect[f"after_{prefix}_{pname}"] = flat(convert(p.detach() - LR * p.grad))
    return expect, params


def write(out, name, expect, params, grads):
    expect.update(grads)
    json.dump(expect, open(f"{out}/{name}.expect.json", "w"))
    if params:
        json.dump(params, open(f"{out}/{name}.params.json", "w"))


def conv_groups(out):
    torch.manual_seed(41)
    x, s = inputs()
    g1 = torch.nn.Conv2d(4, 6, 3, groups=2, padding=1, padding_mode="reflect")
    g2 = torch.nn.Conv2d(4, 8, (2, 3), groups=4, stride=2)
    g3 = torch.nn.Conv2d(4, 4, 3, groups=4, dilation=2, padding="same", padding_mode="circular")
    g4 = torch.nn.Conv1d(4, 6, 3, groups=2, padding=2, dilation=2, padding_mode="reflect")
    g5 = torch.nn.Conv1d(4, 3, 2, stride=2, bias=False)
    y1 = g1(x)
    # [top, bottom, left, right] = [1, 0, 2, 1]: F.pad takes left, right, top, bottom.
    y2 = g2(F.pad(x, [2, 1, 1, 0], mode="replicate"))
    y3 = g3(x)
    y4 = g4(s)
    y5 = g5(s)
    loss = (y1 ** 2).sum() + (y2 ** 3).sum() + (y3 ** 2).sum() \
        + (y4 ** 2).sum() + (y5 ** 3).sum()
    # The trace's loss is the batch mean of the per-sample sums.
    loss = loss / 2
    modules = {"g1": g1, "g2": g2, "g3": g3, "g4": g4, "g5": g5}
    to_nnc = {(k, "weight"): conv_weight for k in modules}
    values = {"g1": (y1, image), "g2": (y2, image), "g3": (y3, image), "g4": (y4, sequence),
              "g5": (y5, sequence)}
    expect, params = finish("trace_conv_groups", out, values, loss, modules, to_nnc)
    grads = {"d_zx": flat(image(x.grad)), "d_zs": flat(sequence(s.grad))}
    write(out, "trace_conv_groups", expect, params, grads)


def conv_transpose(out):
    torch.manual_seed(42)
    x, _ = inputs()
    t1 = torch.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
    t2 = torch.nn.ConvTranspose2d(4, 2, (2, 3), stride=(1, 2), padding=(0, 1), dilation=2,
                                  bias=False)
    y1 = t1(x)
    y2 = t2(x)
    loss = ((y1 ** 2).sum() + (y2 ** 3).sum()) / 2
    modules = {"t1": t1, "t2": t2}
    to_nnc = {(k, "weight"): transposed_weight for k in modules}
    values = {"t1": (y1, image), "t2": (y2, image)}
    expect, params = finish("trace_conv_transpose", out, values, loss, modules, to_nnc)
    write(out, "trace_conv_transpose", expect, params, {"d_zx": flat(image(x.grad))})


def torch_weight(w):  # conv_weight and transposed_weight undone: nnc's layout -> PyTorch's
    return w.permute(3, 2, 0, 1) if w.dim() == 4 else w.permute(2, 1, 0)


def conv_weight_input(out):
    # `weight:` a tensor: per-sample weights (inputs k, q, tw, one kernel per
    # sample: F.conv2d on each sample alone) and a parameter w2 (F.conv2d's
    # functional form). Weights are made in nnc's layout and permuted for
    # PyTorch, so their gradients come out in nnc's layout.
    x, s = inputs()
    k = rounded((2, 3, 3, 2, 6), 71, 0.5).requires_grad_(True)   # [KH, KW, C/G, F]
    q = rounded((2, 2, 4, 3), 72, 0.5).requires_grad_(True)      # [K, C, F]
    tw = rounded((2, 3, 2, 2, 4), 73, 0.5).requires_grad_(True)  # [KH, KW, F, C]
    w2 = rounded((2, 3, 4, 3), 74, 0.3).requires_grad_(True)     # [KH, KW, C, F]
    h1, h3, h4 = [], [], []
    for i in range(2):
        h1.append(F.conv2d(x[i:i + 1], torch_weight(k[i]), groups=2, padding=1))
        h3.append(F.conv1d(s[i:i + 1], torch_weight(q[i]), dilation=2, padding="same"))
        h4.append(F.conv_transpose2d(x[i:i + 1], torch_weight(tw[i]), stride=2, padding=1,
                                     output_padding=1))
    h1, h3, h4 = torch.cat(h1), torch.cat(h3), torch.cat(h4)
    # padding [top 1, bottom 0, left 0, right 1]: F.pad takes left, right, top, bottom.
    h2 = F.conv2d(F.pad(x, [0, 1, 1, 0]), torch_weight(w2), stride=2) + 0.5
    loss = ((h1 ** 2).sum() + (h2 ** 3).sum() + (h3 ** 2).sum() + (h4 ** 3).sum()) / 2
    loss.backward()
    expect = {"h1": flat(image(h1)), "h2": flat(image(h2)), "h3": flat(sequence(h3)),
              "h4": flat(image(h4)), "d_zx": flat(image(x.grad)), "d_zs": flat(sequence(s.grad)),
              "d_zk": flat(k.grad), "d_zq": flat(q.grad), "d_zt": flat(tw.grad),
              "after_w2": flat(w2.detach() - LR * w2.grad)}
    json.dump(expect, open(f"{out}/trace_conv_weight_input.expect.json", "w"))
    json.dump({"w2": w2.detach().tolist()}, open(f"{out}/trace_conv_weight_input.params.json", "w"))
    print("trace_conv_weight_input data:")
    print("       k: " + json.dumps(k.detach().tolist()) + ",")
    print("       q: " + json.dumps(q.detach().tolist()) + ",")
    print("       tw: " + json.dumps(tw.detach().tolist()) + " }")


def conv_implicit(out):
    # Convolutions whose im2col matrix the GEMM packs from the image (several
    # channels, large enough for the GEMM): odd channel counts, taps that
    # straddle the GEMM's K and row blocks, stride, dilation, asymmetric
    # padding. The inputs are .npy files (too many numbers for a data block).
    import numpy
    torch.manual_seed(43)
    xs = rounded((2, 9, 9, 11), 81)    # nnc layout [N, H, W, C]
    ys = rounded((2, 10, 10, 12), 82)
    numpy.save(f"{out}/trace_conv_implicit.x.npy", xs.numpy())
    numpy.save(f"{out}/trace_conv_implicit.y.npy", ys.numpy())
    x = xs.permute(0, 3, 1, 2).clone().requires_grad_(True)
    y = ys.permute(0, 3, 1, 2).clone().requires_grad_(True)
    c1 = torch.nn.Conv2d(11, 8, 3, padding=1)
    c2 = torch.nn.Conv2d(12, 8, 5, stride=2, padding=2)
    c3 = torch.nn.Conv2d(11, 8, 3, dilation=2)
    h1 = c1(x)
    h2 = c2(y)
    # [top, bottom, left, right] = [2, 1, 0, 3]: F.pad takes left, right, top, bottom.
    h3 = c3(F.pad(x, [0, 3, 2, 1]))
    loss = ((h1 ** 2).sum() + (h2 ** 3).sum() + (h3 ** 2).sum()) / 2
    modules = {"h1": c1, "h2": c2, "h3": c3}
    to_nnc = {(k, "weight"): conv_weight for k in modules}
    values = {"h1": (h1, image), "h2": (h2, image), "h3": (h3, image)}
    expect, params = finish("trace_conv_implicit", out, values, loss, modules, to_nnc)
    grads = {"d_zx": flat(image(x.grad)), "d_zy": flat(image(y.grad))}
    write(out, "trace_conv_implicit", expect, params, grads)


def resampling(out):
    x, s = inputs()
    u1 = F.interpolate(x, scale_factor=2, mode="nearest")
    u2 = F.interpolate(x, size=(7, 9), mode="nearest")
    u3 = F.interpolate(x, size=(7, 3), mode="bilinear", align_corners=False)
    u4 = F.interpolate(x, scale_factor=(1.5, 2.5), mode="bilinear", align_corners=True)
    u5 = F.interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=False)
    u6 = F.interpolate(s, scale_factor=2.5, mode="nearest")
    u7 = F.interpolate(s, size=9, mode="linear", align_corners=False)
    a1 = F.adaptive_avg_pool2d(x, (3, 2))
    a2 = F.adaptive_avg_pool1d(s, 4)
    p1 = F.pixel_shuffle(x, 2)
    p2 = F.pixel_unshuffle(u1, 2)
    m1 = F.max_pool1d(s, 2)
    m2 = F.avg_pool1d(s, 3, stride=2, padding=1, count_include_pad=False)
    m3 = s.mean(2)
    parts = [u1 ** 2, u2 ** 3, u3 ** 2, u4 ** 3, u5 ** 2, u6 ** 3, u7 ** 2, a1 ** 3, a2 ** 2,
             p1 ** 3, p2 ** 2, m1 ** 3, m2 ** 2, m3 ** 3]
    loss = sum(p.sum() for p in parts) / 2
    values = {"u1": (u1, image), "u2": (u2, image), "u3": (u3, image), "u4": (u4, image),
              "u5": (u5, image), "u6": (u6, sequence), "u7": (u7, sequence),
              "a1": (a1, image), "a2": (a2, sequence), "p1": (p1, image), "p2": (p2, image),
              "m1": (m1, sequence), "m2": (m2, sequence), "m3": (m3, lambda t: t)}
    expect, _ = finish("trace_resampling", out, values, loss, {}, {})
    write(out, "trace_resampling", expect, None,
          {"d_zx": flat(image(x.grad)), "d_zs": flat(sequence(s.grad))})


def upsample_modes(out):
    # bicubic (A = -0.75; the taps past the border clamped) and
    # nearest-exact, upsampling and downsampling, by size and by scale.
    x, s = inputs()
    b1 = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)
    b2 = F.interpolate(x, size=(3, 7), mode="bicubic", align_corners=True)
    b3 = F.interpolate(x, scale_factor=(0.6, 1.7), mode="bicubic", align_corners=False)
    n1 = F.interpolate(x, scale_factor=(1.5, 0.6), mode="nearest-exact")
    n2 = F.interpolate(x, size=(7, 3), mode="nearest-exact")
    n3 = F.interpolate(s, scale_factor=2.5, mode="nearest-exact")
    parts = [b1 ** 2, b2 ** 3, b3 ** 2, n1 ** 3, n2 ** 2, n3 ** 3]
    loss = sum(p.sum() for p in parts) / 2
    values = {"b1": (b1, image), "b2": (b2, image), "b3": (b3, image), "n1": (n1, image),
              "n2": (n2, image), "n3": (n3, sequence)}
    expect, _ = finish("trace_upsample_modes", out, values, loss, {}, {})
    write(out, "trace_upsample_modes", expect, None,
          {"d_zx": flat(image(x.grad)), "d_zs": flat(sequence(s.grad))})


def rms_norm(out):
    x, s = inputs()
    xi = image(x)  # [N, H, W, C]: normalise over nnc's trailing axes
    w1 = (rounded((4,), 51) + 1).requires_grad_(True)

    def rms(t, dims, eps, w=None):
        y = t * torch.rsqrt(t.pow(2).mean(dims, keepdim=True) + eps)
        return y * w if w is not None else y

    eps = torch.finfo(torch.float64).eps
    r1 = rms(xi, [-1], eps, w1)
    r2w = torch.ones(5, 4, requires_grad=True)
    r2 = rms(xi, [-2, -1], 1e-3, r2w)
    r3 = rms(sequence(s), [-1], eps)
    loss = ((r1 ** 2 * xi).sum() + (r2 ** 3).sum() + (r3 * sequence(s)).sum()) / 2
    loss.backward()
    expect = {"r1": flat(r1), "r2": flat(r2), "r3": flat(r3),
              "d_zx": flat(image(x.grad)), "d_zs": flat(sequence(s.grad)),
              "after_r1_weight": flat(w1 - LR * w1.grad),
              "after_r2_weight": flat(r2w - LR * r2w.grad)}
    json.dump(expect, open(f"{out}/trace_rms_norm.expect.json", "w"))
    json.dump({"r1.weight": w1.detach().tolist()}, open(f"{out}/trace_rms_norm.params.json", "w"))


def pads(out):
    # nnc's pad sides are [top, bottom, left, right] ([left, right] for a
    # sequence); F.pad lists the last axis first: [left, right, top, bottom].
    x, s = inputs()
    q1 = F.pad(x, [1, 1, 1, 1])
    q2 = F.pad(x, [1, 3, 2, 0], mode="reflect")
    q3 = F.pad(x, [2, 1, 0, 3], mode="replicate")
    q4 = F.pad(x, [4, 0, 1, 2], mode="circular")
    q5 = F.pad(s, [2, 1], value=-1.5)
    q6 = F.pad(s, [3, 3], mode="reflect")
    parts = [q1 ** 2, q2 ** 3, q3 ** 2, q4 ** 3, q5 ** 2, q6 ** 3]
    loss = sum(p.sum() for p in parts) / 2
    values = {"q1": (q1, image), "q2": (q2, image), "q3": (q3, image), "q4": (q4, image),
              "q5": (q5, sequence), "q6": (q6, sequence)}
    expect, _ = finish("trace_pad", out, values, loss, {}, {})
    write(out, "trace_pad", expect, None,
          {"d_zx": flat(image(x.grad)), "d_zs": flat(sequence(s.grad))})


def write_trace(out, name, expect, w, data):
    """A trace's expectations to out/name.expect.json, and its w and data
    block (name -> nnc-layout tensor) printed for the .nn file."""
    json.dump(expect, open(f"{out}/{name}.expect.json", "w"))
    print(f"{name} data:")
    print("  w =", json.dumps(w.tolist()))
    print("data { " + ",\n       ".join(f"{k}: " + json.dumps(v.tolist()) for k, v in data.items()) + " }")


def pool_ties(out):
    # Whole numbers in [-2, 2]: most windows hold a tied maximum, which
    # PyTorch's max pooling credits to the first one in row-major order.
    g = torch.Generator().manual_seed(61)
    xi = torch.randint(-2, 3, (2, 4, 5, 4), generator=g).double()  # nnc layout
    si = torch.randint(-2, 3, (2, 6, 4), generator=g).double()
    x = xi.permute(0, 3, 1, 2).clone().requires_grad_(True)
    s = si.permute(0, 2, 1).clone().requires_grad_(True)
    w = rounded((4,), 62)
    m1 = F.max_pool2d(x, 2)                       # 4x5 -> 2x2
    m2 = F.max_pool2d(F.pad(x, [0, 1, 0, 0], value=-float("inf")), 3, stride=1)  # padded right: 2x4
    m3 = F.max_pool1d(s, 3, stride=2, padding=1)
    wi = w.view(1, 4, 1, 1)
    loss = ((m1 * wi).sum() + (m2 ** 2 * wi).sum() + (m3 * w.view(1, 4, 1)).sum()) / 2
    loss.backward()
    expect = {"m1": flat(image(m1)), "m2": flat(image(m2)), "m3": flat(sequence(m3)),
              "d_zx": flat(image(x.grad)), "d_zs": flat(sequence(s.grad))}
    write_trace(out, "trace_maxpool_ties", expect, w, {"x": xi, "s": si})


def pool_nan(out):
    # NaN and -inf inside the network (log of negative numbers and of
    # tiny ones): PyTorch's max pooling lets a NaN beat anything and picks
    # the last NaN of a window; its gradient goes there.
    g = torch.Generator().manual_seed(63)
    choices = torch.tensor([-2.0, -1.0, 1.0, 2.0, 3.0])
    xi = choices[torch.randint(0, 5, (2, 4, 4, 2), generator=g)]  # nnc layout
    x = xi.permute(0, 3, 1, 2).clone().requires_grad_(True)
    w = rounded((2,), 64)
    lx = torch.log(x)
    m1 = F.max_pool2d(lx, 2)
    m2 = F.max_pool2d(lx, 3, stride=1, padding=1)
    wi = w.view(1, 2, 1, 1)
    loss = ((m1 * wi).sum() + (m2 * wi).sum()) / 2
    loss.backward()
    expect = {"m1": flat(image(m1)), "m2": flat(image(m2)), "d_zx": flat(image(x.grad))}
    write_trace(out, "trace_maxpool_nan", expect, w, {"x": xi})


def relu_pool(out):
    # Max pooling of a relu (the convolution blocks' order), whole numbers
    # in [-2, 2]: many windows hold only values <= 0, tied at 0 after the
    # relu. nnc applies the relu's mask to the pooled gradient
    # (autodiff/Autodiff.cpp); PyTorch to the unpooled one.
    g = torch.Generator().manual_seed(65)
    xi = torch.randint(-2, 3, (2, 4, 6, 3), generator=g).double()  # nnc layout
    x = xi.permute(0, 3, 1, 2).clone().requires_grad_(True)
    w = rounded((3,), 66)
    m1 = F.max_pool2d(torch.relu(x), 2)                         # tiling windows: 2x3
    m2 = F.max_pool2d(torch.relu(-x), 3, stride=1, padding=1)   # overlapping: 4x6
    wi = w.view(1, 3, 1, 1)
    loss = ((m1 * wi).sum() + (m2 ** 2 * wi).sum()) / 2
    loss.backward()
    expect = {"m1": flat(image(m1)), "m2": flat(image(m2)), "d_zx": flat(image(x.grad))}
    write_trace(out, "trace_relu_maxpool", expect, w, {"x": xi})


def pool_options(out):
    # Dilated max pooling, ceil_mode and count_include_pad (PyTorch's
    # names and rules; nnc's avgpool excludes padding from the count unless
    # count_include_pad: true, the opposite of PyTorch's default).
    x, s = inputs()
    p1 = F.max_pool2d(x, 2, ceil_mode=True)
    p2 = F.max_pool2d(x, 2, stride=1, padding=1, dilation=2)
    p3 = F.max_pool2d(x, 3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True)
    p4 = F.avg_pool2d(x, 3, stride=2, padding=1)
    p5 = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
    p6 = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    p7 = F.max_pool1d(s, 2, stride=2, dilation=2, ceil_mode=True)
    p8 = F.avg_pool1d(s, 3, stride=2, padding=1, ceil_mode=True)
    parts = [p1 ** 2, p2 ** 3, p3 ** 2, p4 ** 3, p5 ** 2, p6 ** 3, p7 ** 2, p8 ** 3]
    loss = sum(p.sum() for p in parts) / 2
    values = {f"p{i}": (p, image) for i, p in enumerate([p1, p2, p3, p4, p5, p6], 1)}
    values.update({"p7": (p7, sequence), "p8": (p8, sequence)})
    expect, _ = finish("trace_pool_options", out, values, loss, {}, {})
    write(out, "trace_pool_options", expect, None,
          {"d_zx": flat(image(x.grad)), "d_zs": flat(sequence(s.grad))})


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    print(f"torch {torch.__version__}")
    conv_groups(out)
    conv_transpose(out)
    conv_weight_input(out)
    conv_implicit(out)
    resampling(out)
    upsample_modes(out)
    rms_norm(out)
    pads(out)
    pool_ties(out)
    pool_nan(out)
    pool_options(out)
    relu_pool(out)
    print("shared data:")
    print("data { x: " + json.dumps(X.tolist()) + ",")
    print("       s: " + json.dumps(S.tolist()) + " }")


if __name__ == "__main__":
    main()
