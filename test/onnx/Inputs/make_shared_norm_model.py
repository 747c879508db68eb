"""Two LayerNormalization nodes (opset 17) that share one scale and one bias:
nnc imports each as a layer_norm with its own parameters, which is right for
predicting but would train them apart, so test/onnx/shared_weights.test
expects `nnc import --loss` to refuse it.

usage: make_shared_norm_model.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(3)
scale = numpy_helper.from_array(rng.uniform(0.5, 1.5, 4).astype(np.float32), "ln.weight")
bias = numpy_helper.from_array(rng.uniform(-0.5, 0.5, 4).astype(np.float32), "ln.bias")
nodes = [helper.make_node("LayerNormalization", ["x", "ln.weight", "ln.bias"], ["a"], name="ln1"),
         helper.make_node("Tanh", ["a"], ["t"]),
         helper.make_node("LayerNormalization", ["t", "ln.weight", "ln.bias"], ["y"], name="ln2")]
g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
                      initializer=[scale, bias])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
          os.path.join(out, "shared_norm.onnx"))
