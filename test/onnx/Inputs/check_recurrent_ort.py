"""test/onnx/recurrent_cells_ort.test: LSTM, GRU and RNN nodes with what
the language's layers lack (peepholes, sequence_lens, a reverse-only
direction, the final cell state Y_c, other activations, clip,
input_forget), written with random
weights as initializers; each is imported and predicted by nnc and run by
onnxruntime (scripts/ort_run.js) on the same inputs, and every output is
compared (1e-5). onnxruntime has no layout 1 (batch first): such a node
is compared with its layout 0 twin, the inputs and outputs transposed.

usage: check_recurrent_ort.py NNC WORKDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from nnc_and_ort import nnc_predict, onnxruntime_path, ort_predict
T, N, I, H = 5, 3, 4, 3
LENS = np.array([5, 2, 3], dtype=np.int32)  # ragged: steps past a length keep the state


def model(name, op, direction, lens=False, peepholes=False, layout=0, initial=False, **attrs):
    """One recurrent node; X and sequence_lens are inputs, the rest initializers."""
    rng = np.random.default_rng(len(name))
    dirs = 2 if direction == "bidirectional" else 1
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    w = lambda *shape: rng.uniform(-0.6, 0.6, shape).astype(np.float32)  # noqa: E731
    inits = [numpy_helper.from_array(w(dirs, gates * H, I), "W"),
             numpy_helper.from_array(w(dirs, gates * H, H), "R"),
             numpy_helper.from_array(w(dirs, 2 * gates * H), "B")]
    xdims = [T, N, I] if layout == 0 else [N, T, I]
    sdims = [dirs, N, H] if layout == 0 else [N, dirs, H]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, xdims)]
    names = ["X", "W", "R", "B", "", "", "", ""]
    if lens:
        inputs.append(helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, [N]))
        names[4] = "sequence_lens"
    if initial:
        inits.append(numpy_helper.from_array(w(*sdims), "initial_h"))
        names[5] = "initial_h"
        if op == "LSTM":
            inits.append(numpy_helper.from_array(w(*sdims), "initial_c"))
            names[6] = "initial_c"
    if peepholes:
        inits.append(numpy_helper.from_array(w(dirs, 3 * H), "P"))
        names[7] = "P"
    while not names[-1]:
        names.pop()
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outs, hidden_size=H, direction=direction, layout=layout,
                            **attrs)
    ydims = [T, dirs, N, H] if layout == 0 else [N, T, dirs, H]
    outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ydims)] + [
        helper.make_tensor_value_info(o, TensorProto.FLOAT, sdims) for o in outs[1:]]
    graph = helper.make_graph([node], name, inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(m)
    return m, {"X": rng.uniform(-1, 1, xdims).astype(np.float32),
               **({"sequence_lens": LENS} if lens else {})}


MODELS = {
    "lstm_peepholes_lens": dict(op="LSTM", direction="forward", lens=True, peepholes=True, initial=True),
    "lstm_bidirectional_lens": dict(op="LSTM", direction="bidirectional", lens=True, peepholes=True),
    "lstm_reverse_batch_first": dict(op="LSTM", direction="reverse", layout=1),
    "gru_lens_batch_first": dict(op="GRU", direction="forward", layout=1, lens=True),
    "lstm_reverse_lens": dict(op="LSTM", direction="reverse", lens=True),
    "gru_reverse_lens": dict(op="GRU", direction="reverse", lens=True, initial=True),
    "gru_bidirectional_lens_after": dict(op="GRU", direction="bidirectional", lens=True,
                                         linear_before_reset=1),
    "rnn_reverse_lens_relu": dict(op="RNN", direction="reverse", lens=True, activations=["Relu"]),
    "rnn_bidirectional_lens": dict(op="RNN", direction="bidirectional", lens=True, initial=True),
    # Activations other than the layer's, their alpha and beta (consumed in
    # order by the functions that take them), clip and input_forget.
    "lstm_clip_activations": dict(op="LSTM", direction="forward", initial=True, clip=0.7,
                                  activations=["HardSigmoid", "LeakyRelu", "Softsign"],
                                  activation_alpha=[0.25, 0.05], activation_beta=[0.45]),
    "lstm_input_forget_bidirectional": dict(op="LSTM", direction="bidirectional", lens=True,
                                            peepholes=True, input_forget=1,
                                            activations=["Sigmoid", "Tanh", "Tanh",
                                                         "Sigmoid", "ScaledTanh", "Elu"],
                                            activation_alpha=[0.9, 1.1], activation_beta=[1.2]),
    "gru_clip_affine": dict(op="GRU", direction="forward", clip=0.6,
                            activations=["Softsign", "Affine"],
                            activation_alpha=[0.8], activation_beta=[0.1]),
    "gru_reverse_thresholded": dict(op="GRU", direction="reverse", linear_before_reset=1,
                                    activations=["Sigmoid", "ThresholdedRelu"],
                                    activation_alpha=[0.2]),
    "rnn_bidirectional_softplus_clip": dict(op="RNN", direction="bidirectional", clip=1.5,
                                            activations=["Softplus", "LeakyRelu"],
                                            activation_alpha=[0.1]),
    "rnn_elu_default_alpha": dict(op="RNN", direction="forward", lens=True, activations=["Elu"]),
    "lstm_layout1_clip": dict(op="LSTM", direction="forward", layout=1, clip=0.5),
}


def main():
    nnc, work = sys.argv[1], sys.argv[2]
    node_path = onnxruntime_path()
    ok = True
    for name, spec in MODELS.items():
        d = os.path.join(work, name)
        m, feeds = model(name, **spec)
        path, specs = nnc_predict(nnc, d, m, feeds)
        layout = spec.get("layout", 0)
        if layout == 1:
            twin = os.path.join(d, "layout0.onnx")
            onnx.save(model(name, **dict(spec, layout=0))[0], twin)
            np.save(os.path.join(d, "X0.npy"), feeds["X"].transpose(1, 0, 2))
            specs[0] = "X=" + os.path.join(d, "X0.npy")
        ort_predict(node_path, twin if layout else path, os.path.join(d, "ort"), specs)
        for o in m.graph.output:
            got = np.load(os.path.join(d, "y.%s.npy" % o.name))
            want = np.load(os.path.join(d, "ort", o.name + ".npy"))
            if layout == 1:
                want = want.transpose((2, 0, 1, 3) if o.name == "Y" else (1, 0, 2))
            diff = np.max(np.abs(got - want)) if got.shape == want.shape else float("inf")
            good = diff <= 1e-5
            ok = ok and good
            print("%s %s %s %s%s" % ("ok" if good else "MISMATCH", name, o.name, list(got.shape),
                                     "" if good else " max difference %g" % diff))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
