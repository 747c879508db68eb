"""f32_ulp.py FUNC gen FILE | FUNC check IN OUT LIMIT: inputs for the f32
tests of nnc's inline FUNC (tanh, erf), and the largest error of its
results against Python's math.FUNC, in units of f32 spacing at the
reference. Exits 1 above LIMIT."""
import json, math, struct, sys

def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]

func = getattr(math, sys.argv[1])
if sys.argv[2] == "gen":
    xs = [(i - 1000) / 100.0 for i in range(2001)]  # -10 .. 10 in steps of 0.01
    xs[1000] = 1e-6
    xs[999], xs[1001] = -3e-4, 5e-3
    xs[998], xs[1002] = 3.51073, -2e-5  # erf's worst point, its Taylor branch
    json.dump({"x": [xs]}, open(sys.argv[3], "w"))
    sys.exit(0)
xs = json.load(open(sys.argv[3]))["x"][0]
ys = json.load(open(sys.argv[4]))["y"][0]
limit = float(sys.argv[5])
worst, where = 0.0, None
for x, y in zip(xs, ys):
    ref = func(f32(x))
    err = abs(y - ref) / max(abs(ref) * 2.0 ** -23, 2.0 ** -149)
    if err > worst:
        worst, where = err, x
print("max error %.2f ulp at x = %g over %d values" % (worst, where, len(xs)))
sys.exit(0 if worst <= limit else 1)
