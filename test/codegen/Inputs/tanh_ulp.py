"""tanh_ulp.py gen FILE | check IN OUT: inputs for tanh_f32.nn, and the
largest error of nnc's f32 tanh against math.tanh, in units of f32 spacing
at the reference. Exits 1 above 3."""
import json, math, struct, sys

def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]

if sys.argv[1] == "gen":
    xs = [(i - 1000) / 100.0 for i in range(2001)]  # -10 .. 10 in steps of 0.01
    xs[1000] = 1e-6
    xs[999], xs[1001] = -3e-4, 5e-3
    json.dump({"x": [xs]}, open(sys.argv[2], "w"))
    sys.exit(0)
xs = json.load(open(sys.argv[2]))["x"][0]
ys = json.load(open(sys.argv[3]))["y"][0]
worst, where = 0.0, None
for x, y in zip(xs, ys):
    ref = math.tanh(f32(x))
    err = abs(y - ref) / max(abs(ref) * 2.0 ** -23, 2.0 ** -149)
    if err > worst:
        worst, where = err, x
print("max error %.2f ulp at x = %g over %d values" % (worst, where, len(xs)))
sys.exit(0 if worst <= 3 else 1)
