"""Run and train models compiled by nnc from Python, with numpy arrays.

    nnc compile model.nn --emit-shared model.so

    import nnc
    m = nnc.Model("model.so", seed=0)          # or nnc.Model.open("model.so", "model.ckpt")
    loss = m.train_step(x, t)                   # one optimizer step, the batch's loss
    probs = m.predict(x)                        # one output: an array; several: a dict
    m.save("model.ckpt")

The module is pure Python (ctypes and numpy, nothing to build). It reads the
model's interface from the shared library itself (the descriptor that
libnnrt reads, runtime/include/nnrt.h), so it needs no header. Every call
into the model runs with the GIL released. docs/python.md is the guide.
"""
import ctypes
import os
import threading

import numpy as np

__all__ = ["Model", "TensorInfo", "Error", "load"]

#: The descriptor layout this module reads (NNRT_ABI_VERSION in nnrt.h).
ABI_VERSION = 2

_DTYPES = {0: np.dtype(np.float32), 1: np.dtype(np.float64), 2: np.dtype(np.int32)}
_TENSOR_KINDS = {0: "param", 1: "frozen", 2: "state", 3: "buffer"}
_INPUT, _TARGET, _OUTPUT, _STATE_IN, _STATE_OUT = range(5)


class Error(RuntimeError):
    """A failure the model's runtime reported (a non-zero status from the C
    API, or an instance that could not be created); the message is the
    runtime's (PREFIX_error or nnrt_last_error), `status` its code."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


# ctypes mirrors of runtime/include/nnrt.h (NNRT_ABI_VERSION 2).
class _TensorDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32),
                ("kind", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("init", ctypes.c_int32), ("dims", ctypes.POINTER(ctypes.c_int64)),
                ("offset", ctypes.c_int64), ("init_a", ctypes.c_double),
                ("init_b", ctypes.c_double), ("init_data", ctypes.c_void_p)]


class _ArgDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32),
                ("role", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("batched", ctypes.c_int32), ("dims", ctypes.POINTER(ctypes.c_int64)),
                ("classes", ctypes.c_int64), ("ignore_index", ctypes.c_int64)]


class _EntryDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("fn", ctypes.c_void_p),
                ("num_args", ctypes.c_int32), ("args", ctypes.POINTER(_ArgDesc)),
                ("ws_fixed", ctypes.c_int64), ("ws_per_sample", ctypes.c_int64)]


class _ModelDesc(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_int32), ("num_tensors", ctypes.c_int32),
                ("num_entries", ctypes.c_int32), ("reserved", ctypes.c_int32),
                ("name", ctypes.c_char_p), ("tensors", ctypes.POINTER(_TensorDesc)),
                ("entries", ctypes.POINTER(_EntryDesc)), ("state_bytes", ctypes.c_int64),
                ("max_batch", ctypes.c_int64), ("num_params", ctypes.c_int64)]


class TensorInfo:
    """One input, target, output or state tensor: `name`, `kind` (input,
    target, output, carried, param, frozen, buffer, state, or for
    train_step's results loss, metric, lr), numpy `dtype`, `shape` per
    sample, `batched` (a leading batch dimension precedes `shape`) and
    `classes` (N for class(N) labels, else 0)."""

    def __init__(self, name, kind, dtype, shape, batched, classes=0):
        self.name, self.kind, self.dtype = name, kind, dtype
        self.shape, self.batched, self.classes = tuple(shape), bool(batched), classes

    def full_shape(self, batch):
        return ((batch,) if self.batched else ()) + self.shape

    def describe(self):
        dims = (("batch",) if self.batched else ()) + self.shape
        inner = ", ".join(str(d) for d in dims)
        return "(" + inner + ("," if len(dims) == 1 else "") + ")"

    def __repr__(self):
        what = "class(%d) labels" % self.classes if self.classes else str(self.dtype)
        return "TensorInfo(%r, %s, %s %s)" % (self.name, self.kind, what, self.describe())


def _dims(desc):
    return tuple(desc.dims[i] for i in range(desc.rank))


class _Library:
    """One loaded shared library (RTLD_LOCAL: its libnnrt is its own) and the
    interface its descriptor describes."""

    def __init__(self, path):
        self.path = os.path.abspath(os.fspath(path))
        try:
            lib = ctypes.CDLL(self.path, mode=os.RTLD_LOCAL)
        except OSError as e:
            raise Error("cannot load %s: %s" % (self.path, e)) from None
        try:
            lib.nnc_model_prefix.restype = ctypes.c_char_p
            lib.nnc_model_desc.restype = ctypes.POINTER(_ModelDesc)
        except AttributeError:
            raise Error("%s is not a model library built by nnc compile --emit-shared "
                        "(no nnc_model_prefix)" % self.path) from None
        self.lib = lib
        self.prefix = lib.nnc_model_prefix().decode()
        desc = lib.nnc_model_desc().contents
        if desc.abi_version != ABI_VERSION:
            raise Error("%s: descriptor version %d, this module reads version %d "
                        "(rebuild it with this nnc)" % (self.path, desc.abi_version, ABI_VERSION))
        self.desc = desc
        self.name = desc.name.decode()
        self.max_batch = desc.max_batch
        self.num_params = desc.num_params
        self.state = [TensorInfo(t.name.decode(), _TENSOR_KINDS.get(t.kind, "param"),
                                 _DTYPES[t.dtype], _dims(t), False)
                      for t in (desc.tensors[i] for i in range(desc.num_tensors))]
        self.entries = {}
        for e in range(desc.num_entries):
            entry = desc.entries[e]
            args = [entry.args[i] for i in range(entry.num_args)]
            self.entries[entry.name.decode()] = (e, args)

        void_p, char_p, c_int, i64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int64
        self.create = self._fn("create", void_p, [ctypes.c_uint64])
        self.open = self._fn("open", void_p, [char_p])
        self.destroy = self._fn("destroy", None, [void_p])
        self.save = self._fn("save", c_int, [void_p, char_p])
        self.load = self._fn("load", c_int, [void_p, char_p])
        self.param = self._fn("param", void_p,
                              [void_p, char_p, ctypes.POINTER(i64), ctypes.POINTER(c_int)])
        self.error = self._fn("error", char_p, [void_p])
        self.set_threads = self._fn("set_threads", c_int, [void_p, c_int])
        self.reset_state = self._fn("reset_state", c_int, [void_p])
        self.run = self._fn("nnrt_model_run", c_int,
                            [void_p, c_int, i64, ctypes.POINTER(void_p)], prefixed=False)
        self.threads = self._fn("nnrt_model_threads", c_int, [void_p], prefixed=False)
        self.last_error = self._fn("nnrt_last_error", char_p, [], prefixed=False)

    def _fn(self, name, restype, argtypes, prefixed=True):
        fn = getattr(self.lib, self.prefix + "_" + name if prefixed else name)
        fn.restype, fn.argtypes = restype, argtypes
        return fn


_libraries = {}
_libraries_lock = threading.Lock()


def _library(path):
    key = os.path.realpath(os.fspath(path))
    with _libraries_lock:
        if key not in _libraries:
            if not os.path.exists(key):
                raise FileNotFoundError("no such model library: %s" % os.fspath(path))
            _libraries[key] = _Library(key)
        return _libraries[key]


def _info(arg, kind=None):
    return TensorInfo(arg.name.decode(), kind, _DTYPES[arg.dtype], _dims(arg), arg.batched,
                      arg.classes)


class Model:
    """An instance of a compiled model: its parameters, optimizer state and
    workspace. Instances are independent; calls on one instance from several
    threads run one at a time (a lock), calls on different instances run in
    parallel (the GIL is released inside the model)."""

    def __init__(self, library, seed=0, *, checkpoint=None, threads=None):
        """Loads `library` (built by nnc compile --emit-shared) and creates an
        instance with parameters initialised from `seed`, or read from
        `checkpoint` (no random initialisation) when given."""
        self._handle = None
        self._lib = lib = _library(library)
        self._lock = threading.Lock()
        if checkpoint is not None:
            handle = lib.open(os.fsencode(checkpoint))
        else:
            handle = lib.create(int(seed) & 0xFFFFFFFFFFFFFFFF)
        if not handle:
            raise Error(lib.last_error().decode() or "cannot create an instance of " + lib.name)
        self._handle = handle
        self.metrics = {}
        predict = lib.entries.get("predict")
        train = lib.entries.get("train_step")
        #: The inputs predict and train_step take, in declaration order.
        self.inputs = [_info(a, "input") for a in predict[1] if a.role == _INPUT] if predict else []
        #: The targets train_step takes after the inputs ([] if inference only).
        self.targets = [_info(a, "target") for a in train[1] if a.role == _TARGET] if train else []
        #: What predict returns.
        self.outputs = [_info(a, "output") for a in predict[1] if a.role == _OUTPUT] if predict else []
        #: What train_step computes: the loss, then metrics and the learning rate.
        self.step_results = []
        if train:
            results = [a for a in train[1] if a.role == _OUTPUT]
            for i, a in enumerate(results):
                kind = "loss" if i == 0 else "lr" if a.name == b"lr" and i == len(results) - 1 else "metric"
                self.step_results.append(_info(a, kind))
        #: Carried state (stateful layers), kept by the instance between calls.
        self.carried = [_info(a, "carried") for a in predict[1] if a.role == _STATE_IN] if predict else []
        if threads is not None:
            self.set_threads(threads)

    @classmethod
    def open(cls, library, checkpoint, *, threads=None):
        """An instance with the state of `checkpoint` (nnc train -o, or save)."""
        return cls(library, checkpoint=checkpoint, threads=threads)

    # -- description ----------------------------------------------------------

    @property
    def name(self):
        """The model's name (`model Mazur`)."""
        return self._lib.name

    @property
    def prefix(self):
        """The C symbol prefix (nnc compile --prefix)."""
        return self._lib.prefix

    @property
    def max_batch(self):
        """The largest batch one call takes (nnc compile --max-batch);
        predict splits larger ones, train_step refuses them."""
        return self._lib.max_batch

    @property
    def num_params(self):
        """Learnable scalars in the model."""
        return self._lib.num_params

    @property
    def state(self):
        """Every parameter, buffer and optimizer-state tensor (TensorInfo)."""
        return list(self._lib.state)

    @property
    def trainable(self):
        """Whether the library has train_step (not --inference-only)."""
        return "train_step" in self._lib.entries

    def __repr__(self):
        status = "" if self._handle else ", closed"
        return "<nnc.Model %s from %s%s>" % (self.name, self._lib.path, status)

    # -- calls ----------------------------------------------------------------

    def predict(self, *args, **kwargs):
        """The outputs for a batch of inputs, given positionally (declaration
        order), by name, or as one dict. Returns an array when the model has
        one output, else a dict by output name. Batches above max_batch are
        run in chunks (not for carried state, whose rows are the batch's)."""
        if "predict" not in self._lib.entries:
            raise Error("model %s has no predict entry" % self.name)
        arrays, batch = self._bind("predict", self.inputs, args, kwargs)
        outputs = [np.empty(o.full_shape(batch), o.dtype) for o in self.outputs]
        index, descs = self._lib.entries["predict"]
        chunk = self.max_batch
        if self.carried or any(not o.batched for o in self.outputs) or batch <= chunk:
            chunk = max(batch, 1)
        for begin in range(0, batch, chunk):
            end = min(begin + chunk, batch)
            views = [a[begin:end] if i.batched else a for a, i in zip(arrays, self.inputs)]
            outs = [o[begin:end] if i.batched else o for o, i in zip(outputs, self.outputs)]
            self._run(index, descs, end - begin, views, outs)
        if len(outputs) == 1:
            return outputs[0]
        return {o.name: a for o, a in zip(self.outputs, outputs)}

    def train_step(self, *args, **kwargs):
        """One optimizer step on a batch: the inputs then the targets,
        positionally, by name, or as one dict. Returns the batch's loss (a
        float); the step's metrics and learning rate are in `self.metrics`."""
        if "train_step" not in self._lib.entries:
            raise Error("model %s was compiled with --inference-only: no train_step" % self.name)
        arrays, batch = self._bind("train_step", self.inputs + self.targets, args, kwargs)
        results = [np.zeros(r.full_shape(batch), r.dtype) for r in self.step_results]
        index, descs = self._lib.entries["train_step"]
        self._run(index, descs, batch, arrays, results)
        self.metrics = {r.name: float(a) if a.size == 1 else a
                        for r, a in zip(self.step_results[1:], results[1:])}
        return float(results[0])

    def _bind(self, entry, infos, args, kwargs):
        """The arguments as C-contiguous arrays of the declared dtypes, checked
        against the declared shapes; and the batch."""
        if len(args) == 1 and isinstance(args[0], dict) and not kwargs:
            args, kwargs = (), dict(args[0])
        names = [i.name for i in infos]
        if len(args) > len(infos):
            raise TypeError("%s() takes %d positional arrays (%s), got %d"
                            % (entry, len(infos), ", ".join(names), len(args)))
        values = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError("%s(): model %s has no %s '%s' (it takes %s)"
                                % (entry, self.name, "input or target" if entry == "train_step"
                                   else "input", key, ", ".join(names)))
            if key in values:
                raise TypeError("%s(): '%s' given twice" % (entry, key))
            values[key] = value
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError("%s(): missing %s" % (entry, ", ".join("'%s'" % n for n in missing)))
        arrays, batch, first = [], None, None
        for info in infos:
            a = _convert(info, values[info.name])
            if info.batched:
                if a.ndim != len(info.shape) + 1 or tuple(a.shape[1:]) != info.shape:
                    raise ValueError("%s '%s': expected shape %s, got %s%s"
                                     % (info.kind, info.name, info.describe(), a.shape,
                                        " (a single sample? pass x[None] for a batch of one)"
                                        if a.shape == info.shape else ""))
                if batch is None:
                    batch, first = a.shape[0], info.name
                elif a.shape[0] != batch:
                    raise ValueError("%s '%s' has a batch of %d, '%s' has %d"
                                     % (info.kind, info.name, a.shape[0], first, batch))
            elif a.shape != info.shape:
                raise ValueError("%s '%s': expected shape %s, got %s"
                                 % (info.kind, info.name, info.describe(), a.shape))
            arrays.append(a)
        return arrays, (1 if batch is None else batch)

    def _run(self, index, descs, batch, arrays, outputs):
        """nnrt_model_run with the caller's buffers in the descriptor's order
        (carried state: NULL, the runtime supplies it)."""
        slots = (ctypes.c_void_p * max(len(descs), 1))()
        given = iter(arrays)
        written = iter(outputs)
        for i, d in enumerate(descs):
            if d.role in (_INPUT, _TARGET):
                slots[i] = next(given).ctypes.data
            elif d.role == _OUTPUT:
                slots[i] = next(written).ctypes.data
        with self._lock:
            handle = self._live()
            status = self._lib.run(handle, index, batch, slots)
            if status:
                raise Error(self._lib.error(handle).decode(), status)

    def _live(self):
        if not self._handle:
            raise Error("model %s is closed" % self.name)
        return self._handle

    def _check(self, status):
        if status:
            raise Error(self._lib.error(self._handle).decode(), status)

    # -- state ----------------------------------------------------------------

    def save(self, path):
        """Writes a checkpoint (docs/checkpoint.md; atomic): parameters,
        buffers and optimizer state, the format nnc train -o writes."""
        with self._lock:
            self._check(self._lib.save(self._live(), os.fsencode(path)))

    def load(self, path):
        """Reads a checkpoint of this model; checked whole first, and the
        instance is unchanged when it fails."""
        with self._lock:
            self._check(self._lib.load(self._live(), os.fsencode(path)))

    def param(self, name, copy=True):
        """A parameter, buffer, optimizer-state or carried tensor by name, as
        an array of its shape: a copy, or with copy=False a view of the
        instance's memory (writes change the model; valid until close)."""
        count, dtype = ctypes.c_int64(), ctypes.c_int()
        with self._lock:
            ptr = self._lib.param(self._live(), name.encode(), ctypes.byref(count),
                                  ctypes.byref(dtype))
        if not ptr:
            names = [t.name for t in self._lib.state] + [c.name for c in self.carried]
            raise KeyError("model %s has no tensor '%s' (it has %s)"
                           % (self.name, name, ", ".join(names)))
        dt = _DTYPES[dtype.value]
        buffer = (np.ctypeslib.as_ctypes_type(dt) * count.value).from_address(ptr)
        buffer._nnc_model = self  # the view keeps the instance alive
        array = np.ctypeslib.as_array(buffer)
        shape = next((t.shape for t in self._lib.state if t.name == name), None)
        if shape is None:  # carried state: max-batch rows
            shape = (-1,) + next(c.shape for c in self.carried if c.name == name)
        array = array.reshape(shape)
        return array.copy() if copy else array

    def set_param(self, name, value):
        """Copies `value` (same shape, converted to the tensor's dtype) into
        the named tensor."""
        target = self.param(name, copy=False)
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError("tensor '%s': expected shape %s, got %s"
                             % (name, target.shape, value.shape))
        target[...] = value

    def set_threads(self, threads):
        """Threads the model's kernels use (0 = one per CPU, the default).
        Results do not depend on it."""
        with self._lock:
            self._check(self._lib.set_threads(self._live(), int(threads)))

    @property
    def threads(self):
        with self._lock:
            return self._lib.threads(self._live())

    def reset_state(self):
        """Carried state (stateful layers) to zero: new sequences."""
        with self._lock:
            self._check(self._lib.reset_state(self._live()))

    def close(self):
        """Frees the instance; later calls raise nnc.Error."""
        with self._lock:
            if self._handle:
                self._lib.destroy(self._handle)
                self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None):
            self._lib.destroy(self._handle)
            self._handle = None


def _convert(info, value):
    """`value` as a C-contiguous array of the tensor's dtype. Real numbers
    convert to a float tensor's dtype (float64 to float32 rounds, as numpy's
    astype); class labels must be integers that fit int32. Anything else
    (bool, complex, strings, objects, floats as labels) is a TypeError."""
    a = np.asarray(value)
    if info.dtype == np.int32:
        if a.dtype.kind not in "iu":
            raise TypeError("%s '%s': expected integer class labels (int32), got %s"
                            % (info.kind, info.name, a.dtype))
        if a.size and a.dtype.itemsize >= 4 and (a.min() < -2**31 or a.max() >= 2**31):
            raise ValueError("%s '%s': labels out of int32's range" % (info.kind, info.name))
    elif a.dtype.kind not in "fiu":
        raise TypeError("%s '%s': expected real numbers (%s), got %s"
                        % (info.kind, info.name, info.dtype, a.dtype))
    return np.ascontiguousarray(a, dtype=info.dtype)


def load(library, seed=0, *, checkpoint=None, threads=None):
    """Model(library, seed) or, with `checkpoint`, Model.open(library, checkpoint)."""
    return Model(library, seed, checkpoint=checkpoint, threads=threads)
