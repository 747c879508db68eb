"""test/python/errors.test: what each misuse raises, and the message."""
import sys

import numpy as np

import nnc

d = sys.argv[1]


def attempt(what, fn):
    try:
        fn()
        print("%s: no error" % what)
    except (nnc.Error, ValueError, TypeError, KeyError, FileNotFoundError) as e:
        status = " (status %s)" % e.status if isinstance(e, nnc.Error) else ""
        print("%s: %s%s: %s" % (what, type(e).__name__, status, e.args[0]))


m = nnc.Model(d + "/labels.so", seed=3)
print(m.inputs, m.targets, m.outputs, "max batch", m.max_batch)
x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
y = np.array([1, 2, 3], dtype=np.int32)

# Shapes.
attempt("wrong shape", lambda: m.predict(np.zeros((3, 5), np.float32)))
attempt("one sample without its batch", lambda: m.predict(np.zeros(4, np.float32)))
attempt("batches differ", lambda: m.train_step(x, y[:2]))
attempt("labels with a sample shape", lambda: m.train_step(x, y[:, None]))
# Names and counts.
attempt("missing target", lambda: m.train_step(x))
attempt("unknown name", lambda: m.predict(z=x))
attempt("given twice", lambda: m.predict(x, x=x))
attempt("too many", lambda: m.predict(x, x))
# Dtypes: real numbers convert to the declared float type, labels must be
# integers.
attempt("complex input", lambda: m.predict(x.astype(np.complex64)))
attempt("bool input", lambda: m.predict(x > 0))
attempt("float labels", lambda: m.train_step(x, y.astype(np.float32)))
attempt("labels beyond int32", lambda: m.train_step(x, y.astype(np.int64) << 40))


def probs(*args, **kwargs):
    out = m.predict(*args, **kwargs)  # two outputs: a dict by name
    assert sorted(out) == ["logits", "probs"]
    return out["probs"]


p32 = probs(x)
print("float64 and int inputs convert:", np.array_equal(probs(x.astype(np.float64)), p32),
      np.array_equal(probs([[1, 2, 3, 4]]), probs(np.array([[1, 2, 3, 4]], np.float32))))
wide = np.zeros((3, 8), np.float32)
wide[:, ::2] = x
print("non-contiguous and Fortran-ordered inputs:", np.array_equal(probs(wide[:, ::2]), p32),
      np.array_equal(probs(np.asfortranarray(x)), p32), np.array_equal(probs({"x": x}), p32))
print("int64 and uint8 labels:", m.train_step(x, y.astype(np.int64)) > 0,
      m.train_step(x, y.astype(np.uint8)) > 0)
# The runtime's checks: batch and labels.
big = np.resize(x, (5, 4))
attempt("train_step above max batch", lambda: m.train_step(big, np.resize(y, 5)))
attempt("label outside class(10)", lambda: m.train_step(x, np.array([1, 10, 2], np.int32)))
attempt("empty batch", lambda: m.train_step(x[:0], y[:0]))
print("predict above max batch runs in chunks:",
      np.array_equal(probs(big), np.concatenate([probs(big[:4]), probs(big[4:])])))
# Checkpoints: each failure leaves the instance as it was.
before = m.param("logits.weight")
attempt("load of a missing file", lambda: m.load(d + "/missing.ckpt"))
attempt("load of a non-checkpoint", lambda: m.load(d + "/labels.nn"))
attempt("load of another model's checkpoint", lambda: m.load(d + "/mazur.ckpt"))
attempt("save into a missing directory", lambda: m.save(d + "/no/such/dir/x.ckpt"))
attempt("save over a directory", lambda: m.save(d))
print("unchanged by failed loads:", np.array_equal(m.param("logits.weight"), before))
attempt("open of a missing checkpoint", lambda: nnc.Model.open(d + "/labels.so", d + "/missing.ckpt"))
attempt("unknown tensor", lambda: m.param("nope"))
attempt("set_param with the wrong shape", lambda: m.set_param("logits.bias", np.zeros(3)))
attempt("negative threads", lambda: m.set_threads(-1))
# Libraries.
attempt("missing library", lambda: nnc.Model(d + "/missing.so"))
attempt("not a model library", lambda: nnc.Model(d + "/other.so"))
inference = nnc.Model(d + "/labels_infer.so")
print("inference only: trainable", inference.trainable, "targets", inference.targets)
attempt("train_step of an inference-only model", lambda: inference.train_step(x, y))
m.close()
attempt("call after close", lambda: m.predict(x))
m.close()  # twice is fine
with nnc.Model(d + "/labels.so") as scoped:
    pass
attempt("call after with", lambda: scoped.predict(x))
