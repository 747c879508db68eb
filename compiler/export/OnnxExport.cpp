//===- OnnxExport.cpp - a model's predict graph as an ONNX model ----------===//
//
// Walks the nodes the predict entry reads (ModeSelect's inference side
// only) in graph order and writes each as ONNX operators. Conventions:
// every ONNX value has its nnc value's full shape (batch first), so each
// op's translation only has to mind where the batch axis is.
//
//===----------------------------------------------------------------------===//
#include "export/OnnxExport.h"

#include "export/OnnxWriter.h"
#include "ir/Scan.h"

#include "onnx/checker.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <set>

namespace nnc::onnx_export {

namespace {

[[noreturn]] void fail(const Node &n, const std::string &why) {
  throw ExportError{std::string("cannot export '") + opName(n.op) + "'" +
                        (n.name.empty() ? "" : " ('" + n.name + "')") + ": " + why,
                    n.loc};
}

/// `values` of shape `dims` transposed by `perm` (out dim i = in dim
/// perm[i]); `dims` becomes the new shape.
std::vector<double> permuted(const std::vector<double> &values, std::vector<int64_t> &dims,
                             const std::vector<int64_t> &perm) {
  size_t rank = dims.size();
  std::vector<int64_t> inStride(rank, 1), outDims(rank);
  for (size_t i = rank; i-- > 1;)
    inStride[i - 1] = inStride[i] * dims[i];
  for (size_t i = 0; i < rank; ++i)
    outDims[i] = dims[perm[i]];
  std::vector<double> out(values.size());
  std::vector<int64_t> index(rank, 0); // over the output
  for (size_t o = 0; o < out.size(); ++o) {
    int64_t from = 0;
    for (size_t i = 0; i < rank; ++i)
      from += index[i] * inStride[perm[i]];
    out[o] = values[from];
    for (size_t i = rank; i-- > 0;) {
      if (++index[i] < outDims[i])
        break;
      index[i] = 0;
    }
  }
  dims = outDims;
  return out;
}

/// `dims` with `batch` in front when `batched`.
std::vector<int64_t> withBatch(std::vector<int64_t> dims, int64_t batch, bool batched) {
  if (batched)
    dims.insert(dims.begin(), batch);
  return dims;
}

int64_t product(const std::vector<int64_t> &dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1), std::multiplies<int64_t>());
}

/// Translates one graph (the model's, or a scan's body) into `w`. Nodes
/// are translated when a value needs them, so a node that only feeds a
/// pattern written as one ONNX op (im2col + matmul as Conv) is not
/// written at all.
class GraphExporter {
public:
  /// `params` writes a parameter's initializer, its dims permuted by `perm`
  /// when given (nullptr in a scan body, which has none).
  using ParamWriter =
      std::function<std::string(const Node &, const std::vector<int64_t> &perm)>;
  GraphExporter(OnnxWriter &w, int64_t opset, ParamWriter params)
      : w_(w), opset_(opset), params_(std::move(params)) {}

  /// Binds an nnc node to an existing ONNX value.
  void bind(const Node *n, const std::string &value, bool wide = false) {
    values_[n] = {value, false, wide};
  }
  bool bound(const Node *n) const { return values_.count(n) != 0; }
  /// The graph's scans, for finding a bidirectional layer's two halves.
  void setScans(const Graph &g) {
    for (const auto &n : g.nodes())
      if (n->op == OpKind::Scan)
        scans_[n->name] = n.get();
  }
  /// The ONNX value of `n` with its full shape.
  std::string get(const Node *n);
  /// For an i32 node: whether its ONNX value is int64.
  bool wide(const Node *n) { return lazy(n).wide; }

private:
  /// An ONNX value; `batchOfOne`: a batched value written with a batch of
  /// 1 (a broadcast parameter), which elementwise ONNX ops broadcast to the
  /// batch for free. get() expands it where an op needs the whole batch.
  /// `wide`: an i32 value (class indices) held as ONNX int64, as graph
  /// inputs and ArgMax give them; constants stay int32.
  struct Value {
    std::string name;
    bool batchOfOne = false;
    bool wide = false;
  };
  Value lazy(const Node *n);
  Value translate(const Node &n);
  std::string in(const Node &n, size_t k) { return get(n.operands[k]); }
  /// An elementwise op: its result is a batch of one when all operands are.
  Value elementwise(const Node &n, const std::string &op, const std::vector<Attr> &attrs = {});
  Value unary(const Node &n, const std::string &op) { return elementwise(n, op); }
  Value binary(const Node &n, const std::string &op) { return elementwise(n, op); }
  /// A comparison: 1 or 0 in the operands' float type.
  Value compare(const Node &n, const std::string &op, bool negate = false) {
    Value b = elementwise(n, op);
    if (negate)
      b.name = w_.node("Not", {b.name});
    b.name = w_.node("Cast", {b.name}, {Attr::of("to", onnxType(n.type.dtype))});
    return b;
  }
  std::string constant(const Node &n);
  Value broadcastTo(const Node &n);
  std::string reduceTo(const Node &n, const std::string &op);
  std::string matmul(const Node &n);
  std::string batchMatMul(const Node &n);
  std::string slice(const Node &n);
  std::string pad(const Node &n);
  std::string gather(const Node &n);
  std::string windowIndices(const Window &w, const TensorType &image);
  std::string im2col(const std::string &image, const TensorType &imageType, const Window &w,
                     double fill, const TensorType &colsType);
  std::string col2im(const Node &n);
  std::string log1p(const Node &n);
  std::string convolution(const Node &matmul);
  std::string maxPool(const Node &n);
  std::string avgPool(const Node &div);
  std::string toNCHW(const std::string &x, bool batched);
  std::string fromNCHW(const std::string &x, bool batched);
  std::vector<Attr> windowAttrs(const Window &w, bool kernel);
  void scan(const Node &n);
  std::string scanResult(const Node &n);

  OnnxWriter &w_;
  int64_t opset_;
  ParamWriter params_;
  std::map<const Node *, Value> values_;
  /// An RNN op's outputs and which of its two directions a scan is (-1:
  /// the op has one).
  std::map<const Node *, std::pair<std::vector<std::string>, int64_t>> scanOutputs_;
  std::map<std::string, const Node *> scans_; // the graph's scans by name
  std::map<const Node *, std::string> expanded_; // batch-of-one values, expanded
  /// Parameters written in ONNX's layout (Conv weights): the initializer
  /// and the permutation back to nnc's, for any other reader.
  std::map<const Node *, std::pair<std::string, std::vector<int64_t>>> permuted_;
};

std::string GraphExporter::get(const Node *n) {
  Value v = lazy(n);
  if (!v.batchOfOne)
    return v.name;
  auto it = expanded_.find(n);
  if (it != expanded_.end())
    return it->second;
  return expanded_[n] = w_.node("Expand", {v.name, w_.fullShape(n->type)});
}

GraphExporter::Value GraphExporter::lazy(const Node *n) {
  auto it = values_.find(n);
  if (it != values_.end())
    return it->second;
  auto p = permuted_.find(n);
  Value v;
  try {
    v = p == permuted_.end()
            ? translate(*n)
            : Value{w_.node("Transpose", {p->second.first}, {Attr::list("perm", p->second.second)})};
  } catch (ExportError &e) {
    // Nodes a layer expands into have no place of their own in the source:
    // the nearest reader that has one (the layer's line) is named.
    if (!e.loc.valid())
      e.loc = n->loc;
    throw;
  }
  values_[n] = v;
  return v;
}

GraphExporter::Value GraphExporter::elementwise(const Node &n, const std::string &op,
                                                const std::vector<Attr> &attrs) {
  std::vector<std::string> inputs;
  bool allOfOne = true, anyWide = false;
  for (const Node *o : n.operands) {
    Value v = lazy(o);
    inputs.push_back(v.name);
    allOfOne = allOfOne && v.batchOfOne;
    anyWide = anyWide || v.wide;
  }
  // Integer operands of two widths meet as int64.
  for (size_t k = 0; k < n.operands.size() && anyWide; ++k)
    if (n.operands[k]->type.dtype == DType::I32 && !lazy(n.operands[k]).wide)
      inputs[k] = w_.node("Cast", {inputs[k]}, {Attr::of("to", onnx::TensorProto::INT64)});
  return {w_.node(op, inputs, attrs), allOfOne, anyWide && n.type.dtype == DType::I32};
}

std::string GraphExporter::constant(const Node &n) {
  int32_t type = onnxType(n.type.dtype);
  int64_t count = product(n.type.dims);
  if (!n.isSplatConstant() || count <= 16) {
    std::vector<double> data = n.data;
    if (n.isSplatConstant())
      data.assign(count, n.data[0]);
    return w_.tensor(type, n.type.dims, data);
  }
  // A large splat: one value, expanded.
  return w_.node("Expand", {w_.tensor(type, {}, n.data), w_.ints(n.type.dims)});
}

GraphExporter::Value GraphExporter::broadcastTo(const Node &n) {
  const TensorType &from = n.operands[0]->type, &to = n.type;
  // Per-sample dims align on the right, the batch stays axis 0: give x the
  // target's rank first (its batch, or 1), then Expand's 1 keeps the batch.
  std::vector<int64_t> dims(to.dims.size() - from.dims.size(), 1);
  dims.insert(dims.end(), from.dims.begin(), from.dims.end());
  std::string x = in(n, 0);
  if (from.batched || to.batched)
    x = w_.node("Reshape", {x, w_.ints(withBatch(dims, from.batched ? -1 : 1, to.batched))});
  std::vector<int64_t> shape = withBatch(to.dims, 1, to.batched);
  // An unbatched value broadcast over the batch stays a batch of one.
  return {w_.node("Expand", {x, w_.ints(shape)}), to.batched && !from.batched};
}

/// SumTo and MaxTo: reduce what BroadcastTo would repeat.
std::string GraphExporter::reduceTo(const Node &n, const std::string &op) {
  const TensorType &from = n.operands[0]->type, &to = n.type;
  std::vector<int64_t> axes;
  int64_t offset = from.batched ? 1 : 0;
  if (from.batched && !to.batched)
    axes.push_back(0);
  size_t lead = from.dims.size() - to.dims.size();
  for (size_t j = 0; j < from.dims.size(); ++j)
    if (j < lead || (to.dims[j - lead] == 1 && from.dims[j] != 1))
      axes.push_back(offset + int64_t(j));
  if (axes.empty())
    return w_.reshapeTo(in(n, 0), to);
  std::string r;
  if (op == "ReduceSum") // axes became an input in opset 13
    r = w_.node(op, {in(n, 0), w_.ints(axes)}, {Attr::of("keepdims", 1)});
  else
    r = w_.node(op, {in(n, 0)}, {Attr::list("axes", axes), Attr::of("keepdims", 1)});
  return w_.reshapeTo(r, to);
}

/// MatMul: each operand as a matrix (rows = every dim but the last, the
/// batch included), one Gemm, then the result's shape.
std::string GraphExporter::matmul(const Node &n) {
  std::string conv = convolution(n);
  if (!conv.empty())
    return conv;
  const TensorType &a = n.operands[0]->type, &b = n.operands[1]->type;
  if (a.batched && a.dims.size() >= 2 && !n.transA && !b.batched && b.dims.size() == 2) {
    // A stack of rows times a matrix ([B, T, K] @ [K, N]): MatMul
    // broadcasts, so the batch and T stay axes (as PyTorch exports a Linear
    // applied to a sequence).
    std::string w = in(n, 1);
    if (n.transB)
      w = w_.node("Transpose", {w}, {Attr::list("perm", {1, 0})});
    return w_.node("MatMul", {in(n, 0), w});
  }
  auto asMatrix = [&](size_t k) {
    MatrixView v = matrixView(n.operands[k]->type, false);
    auto batchIn = [](const std::vector<int64_t> &d) {
      return std::find(d.begin(), d.end(), kBatchDim) != d.end();
    };
    int64_t rows = batchIn(v.rows) ? -1 : product(v.rows);
    int64_t cols = batchIn(v.cols) ? -1 : product(v.cols);
    return w_.node("Reshape", {in(n, k), w_.ints({rows, cols})});
  };
  std::string product = w_.node("Gemm", {asMatrix(0), asMatrix(1)},
                                {Attr::of("transA", n.transA), Attr::of("transB", n.transB)});
  return w_.reshapeTo(product, n.type);
}

std::string GraphExporter::batchMatMul(const Node &n) {
  auto operand = [&](size_t k, bool transposed) {
    std::string x = in(n, k);
    if (!transposed)
      return x;
    const TensorType &t = n.operands[k]->type;
    std::vector<int64_t> perm(t.dims.size() + (t.batched ? 1 : 0));
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    return w_.node("Transpose", {x}, {Attr::list("perm", perm)});
  };
  // MatMul broadcasts the leading dims, so an unbatched stack meets a
  // batched one as numpy would.
  return w_.node("MatMul", {operand(0, n.transA), operand(1, n.transB)});
}

std::string GraphExporter::slice(const Node &n) {
  std::vector<int64_t> starts = n.ints, ends, axes;
  int64_t offset = n.type.batched ? 1 : 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    ends.push_back(starts[i] + n.type.dims[i]);
    axes.push_back(offset + int64_t(i));
  }
  return w_.node("Slice", {in(n, 0), w_.ints(starts), w_.ints(ends), w_.ints(axes)});
}

std::string GraphExporter::pad(const Node &n) {
  const TensorType &from = n.operands[0]->type;
  std::vector<int64_t> begin = n.ints, end;
  for (size_t i = 0; i < begin.size(); ++i)
    end.push_back(n.type.dims[i] - from.dims[i] - begin[i]);
  if (n.type.batched) {
    begin.insert(begin.begin(), 0);
    end.insert(end.begin(), 0);
  }
  begin.insert(begin.end(), end.begin(), end.end());
  return w_.node("Pad", {in(n, 0), w_.ints(begin)});
}

std::string GraphExporter::gather(const Node &n) {
  const TensorType &x = n.operands[0]->type, &idx = n.operands[1]->type;
  int64_t axis = n.ints[0];
  std::string indices = in(n, 1);
  if (x.batched && idx.batched) {
    // Each sample's own indices: GatherND with the batch as batch_dims,
    // the gathered axis moved next to the batch and the result's index
    // dims moved back to where the axis was.
    if (!wide(n.operands[1])) // GatherND takes int64 indices only
      indices = w_.node("Cast", {indices}, {Attr::of("to", onnx::TensorProto::INT64)});
    int64_t xr = int64_t(x.dims.size()), ir = int64_t(idx.dims.size());
    std::string data = in(n, 0);
    if (axis != 0) {
      std::vector<int64_t> perm{0, axis + 1};
      for (int64_t i = 1; i <= xr; ++i)
        if (i != axis + 1)
          perm.push_back(i);
      data = w_.node("Transpose", {data}, {Attr::list("perm", perm)});
    }
    std::string last = w_.node("Unsqueeze", {indices, w_.ints({ir + 1})});
    std::string out = w_.node("GatherND", {data, last}, {Attr::of("batch_dims", 1)});
    if (axis == 0)
      return out;
    // out: [B, idx..., x[:axis], x[axis+1:]] -> [B, x[:axis], idx..., x[axis+1:]]
    std::vector<int64_t> perm{0};
    for (int64_t i = 0; i < axis; ++i)
      perm.push_back(1 + ir + i);
    for (int64_t i = 0; i < ir; ++i)
      perm.push_back(1 + i);
    for (int64_t i = axis + 1; i < xr; ++i)
      perm.push_back(1 + ir + i - 1);
    return w_.node("Transpose", {out}, {Attr::list("perm", perm)});
  }
  if (x.batched)
    return w_.node("Gather", {in(n, 0), indices}, {Attr::of("axis", axis + 1)});
  std::string out = w_.node("Gather", {in(n, 0), indices}, {Attr::of("axis", axis)});
  if (!idx.batched || axis == 0)
    return out;
  // ONNX puts the indices' batch axis at `axis`; nnc's batch is axis 0.
  int64_t rank = int64_t(n.type.dims.size()) + 1;
  std::vector<int64_t> perm{axis};
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      perm.push_back(i);
  return w_.node("Transpose", {out}, {Attr::list("perm", perm)});
}

/// For im2col / col2im: each window cell's pixel in the flattened image
/// [H*W], or H*W (a padding row) where the cell lies outside the image.
/// The table is [OH*OW, KH*KW].
std::string GraphExporter::windowIndices(const Window &w, const TensorType &image) {
  int64_t H = image.dims[0], W = image.dims[1];
  int64_t OH = w.outH(H), OW = w.outW(W);
  std::vector<double> table;
  table.reserve(OH * OW * w.kh * w.kw);
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow)
      for (int64_t kh = 0; kh < w.kh; ++kh)
        for (int64_t kw = 0; kw < w.kw; ++kw) {
          int64_t ih = oh * w.strideH + kh * w.dilationH - w.padTop;
          int64_t iw = ow * w.strideW + kw * w.dilationW - w.padLeft;
          bool inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
          table.push_back(double(inside ? ih * W + iw : H * W));
        }
  return w_.tensor(onnx::TensorProto::INT64, {OH * OW, w.kh * w.kw}, table);
}

/// Im2Col as a gather: the image flattened to [B, H*W, C] with one padding
/// row (`fill`) appended, then each window's pixels picked by a constant table.
std::string GraphExporter::im2col(const std::string &image, const TensorType &imageType,
                                  const Window &w, double fill, const TensorType &colsType) {
  int64_t rows = imageType.dims[0] * imageType.dims[1], C = imageType.dims[2];
  std::string table = windowIndices(w, imageType);
  std::string flat = w_.reshapeTo(image, TensorType{imageType.dtype, {rows, C}, imageType.batched});
  int64_t axis = imageType.batched ? 1 : 0;
  std::vector<int64_t> pads(imageType.batched ? 6 : 4, 0);
  pads[imageType.batched ? 4 : 2] = 1; // one row after the image
  std::string padded = w_.node("Pad", {flat, w_.ints(pads), w_.scalar(imageType.dtype, fill)}, {});
  std::string cells = w_.node("Gather", {padded, table}, {Attr::of("axis", axis)});
  return w_.reshapeTo(cells, colsType);
}

/// Col2Im, the adjoint: each cell added to its pixel by ScatterND's add
/// (opset 16), into [H*W + 1, B, C] zeros, the padding row dropped.
std::string GraphExporter::col2im(const Node &n) {
  if (opset_ < 16)
    fail(n, "col2im (conv2d_transpose) is a ScatterND with reduction 'add', which needs "
            "--opset 16 or newer");
  const TensorType &image = n.type;
  const Window &w = n.window;
  int64_t rows = image.dims[0] * image.dims[1];
  std::string table = windowIndices(w, image);
  int64_t C = image.dims[2];
  int64_t cells = w.outH(image.dims[0]) * w.outW(image.dims[1]) * w.kh * w.kw;
  // Updates [cells, B, C], indices [cells, 1], data [H*W + 1, B, C].
  std::string updates = w_.reshapeTo(in(n, 0), TensorType{image.dtype, {cells, C}, image.batched});
  std::string dataShape;
  if (image.batched) {
    updates = w_.node("Transpose", {updates}, {Attr::list("perm", {1, 0, 2})});
    dataShape = w_.node("Concat", {w_.ints({rows + 1}), w_.batchVector(), w_.ints({C})},
                        {Attr::of("axis", 0)});
  } else {
    dataShape = w_.ints({rows + 1, C});
  }
  std::string zeros = w_.node("Expand", {w_.scalar(image.dtype, 0), dataShape});
  std::string indices = w_.node("Reshape", {table, w_.ints({cells, 1})});
  std::string summed = w_.node("ScatterND", {zeros, indices, updates},
                               {Attr::text("reduction", "add")});
  std::string kept = w_.node("Slice", {summed, w_.ints({0}), w_.ints({rows}), w_.ints({0})});
  if (image.batched)
    kept = w_.node("Transpose", {kept}, {Attr::list("perm", {1, 0, 2})});
  return w_.reshapeTo(kept, image);
}

/// An image [B, H, W, C] as ONNX's [B, C, H, W], and back.
std::string GraphExporter::toNCHW(const std::string &x, bool batched) {
  return w_.node("Transpose", {x}, {Attr::list("perm", {0, 3, 1, 2})});
}
std::string GraphExporter::fromNCHW(const std::string &x, bool batched) {
  return w_.node("Transpose", {x}, {Attr::list("perm", {0, 2, 3, 1})});
}

/// kernel_shape (with `kernel`), strides, pads and dilations of a window.
std::vector<Attr> GraphExporter::windowAttrs(const Window &w, bool kernel) {
  std::vector<Attr> attrs = {Attr::list("strides", {w.strideH, w.strideW}),
                             Attr::list("pads", {w.padTop, w.padLeft, w.padBottom, w.padRight}),
                             Attr::list("dilations", {w.dilationH, w.dilationW})};
  if (kernel)
    attrs.push_back(Attr::list("kernel_shape", {w.kh, w.kw}));
  return attrs;
}

namespace {

/// The im2col a window op reads when it has the shape conv2d and the
/// pooling layers give it (a batched image, padding that is not negative,
/// fill `fill`); nullptr otherwise.
const Node *imageWindow(const Node *cols, double fill) {
  // onnxruntime has float kernels only for Conv and the pools: f64 windows
  // stay gathers and matrix products, which it runs in double.
  if (cols->op != OpKind::Im2Col || !cols->operands[0]->type.batched || cols->scalar != fill ||
      cols->type.dtype != DType::F32)
    return nullptr;
  const Window &w = cols->window;
  if (w.padTop < 0 || w.padBottom < 0 || w.padLeft < 0 || w.padRight < 0)
    return nullptr;
  return cols;
}

} // namespace

/// conv2d's im2col + matmul with the [KH, KW, C, F] weight as one Conv
/// (the weight transposed to ONNX's [F, C, KH, KW] in the graph, so the
/// initializer keeps nnc's layout and name); "" when `mm` is not that.
std::string GraphExporter::convolution(const Node &mm) {
  if (mm.transA || mm.transB)
    return "";
  const Node *cols = imageWindow(mm.operands[0], 0.0);
  const Node *weight = mm.operands[1];
  if (!cols || weight->op != OpKind::Reshape || weight->type.batched)
    return "";
  const Window &w = cols->window;
  const Node *kernel = weight->operands[0];
  int64_t C = cols->operands[0]->type.dims[2];
  if (kernel->type.dims.size() != 4 || kernel->type.dims[0] != w.kh || kernel->type.dims[1] != w.kw ||
      kernel->type.dims[2] != C)
    return "";
  std::string k;
  if (kernel->op == OpKind::Param && params_ && !values_.count(kernel)) {
    // The initializer in PyTorch's layout, as an exported nn.Conv2d has it.
    auto it = permuted_.find(kernel);
    if (it == permuted_.end())
      it = permuted_.emplace(kernel, std::make_pair(params_(*kernel, {3, 2, 0, 1}),
                                                   std::vector<int64_t>{2, 3, 1, 0})).first;
    k = it->second.first;
  } else {
    k = w_.node("Transpose", {get(kernel)}, {Attr::list("perm", {3, 2, 0, 1})});
  }
  std::string y = w_.node("Conv", {toNCHW(get(cols->operands[0]), true), k}, windowAttrs(w, true));
  return w_.reshapeTo(fromNCHW(y, true), mm.type);
}

/// MaxPool as one ONNX MaxPool where onnxruntime has a kernel for it (a
/// batched f32 image, padding not negative); otherwise the windows gathered
/// (padding -inf) and ReduceMax over each.
std::string GraphExporter::maxPool(const Node &n) {
  const Window &w = n.window;
  const TensorType &image = n.operands[0]->type;
  if (image.batched && image.dtype == DType::F32 && w.padTop >= 0 && w.padBottom >= 0 &&
      w.padLeft >= 0 && w.padRight >= 0) {
    std::string y = w_.node("MaxPool", {toNCHW(in(n, 0), true)}, windowAttrs(w, true));
    return w_.reshapeTo(fromNCHW(y, true), n.type);
  }
  int64_t P = n.type.dims[0] * n.type.dims[1], K = w.kh * w.kw, C = image.dims[2];
  std::string cells = im2col(in(n, 0), image, w, -std::numeric_limits<double>::infinity(),
                             TensorType{image.dtype, {P, K, C}, image.batched});
  std::string r = w_.node("ReduceMax", {cells}, {Attr::list("axes", {image.batched ? 2 : 1}),
                                                 Attr::of("keepdims", 1)});
  return w_.reshapeTo(r, n.type);
}

/// Average pooling (im2col filled with 0, reshaped to [P, K, C], summed
/// over K, divided by each window's count) as one AveragePool, when the
/// counts are K everywhere (count_include_pad) or the cells inside the
/// image; "" when `div` is not that.
std::string GraphExporter::avgPool(const Node &div) {
  const Node *sum = div.operands[0], *counts = div.operands[1];
  if (sum->op != OpKind::SumTo || sum->operands[0]->op != OpKind::Reshape ||
      counts->op != OpKind::BroadcastTo || counts->operands[0]->op != OpKind::Constant)
    return "";
  const Node *cells = sum->operands[0];
  const Node *cols = imageWindow(cells->operands[0], 0.0);
  if (!cols)
    return "";
  const Window &w = cols->window;
  const TensorType &image = cols->operands[0]->type;
  int64_t C = image.dims[2], P = cols->type.dims[0], K = w.kh * w.kw;
  if (cells->type.dims != std::vector<int64_t>{P, K, C} ||
      sum->type != TensorType{cells->type.dtype, {P, 1, C}, true})
    return "";
  // The window counts both ways, in window order.
  std::vector<double> all(P, double(K)), inside;
  int64_t OW = w.outW(image.dims[1]);
  for (int64_t p = 0; p < P; ++p) {
    int64_t n = 0;
    for (int64_t kh = 0; kh < w.kh; ++kh)
      for (int64_t kw = 0; kw < w.kw; ++kw) {
        int64_t ih = (p / OW) * w.strideH + kh * w.dilationH - w.padTop;
        int64_t iw = (p % OW) * w.strideW + kw * w.dilationW - w.padLeft;
        n += ih >= 0 && ih < image.dims[0] && iw >= 0 && iw < image.dims[1];
      }
    inside.push_back(double(n));
  }
  const Node &given = *counts->operands[0];
  std::vector<double> data = given.data;
  if (given.isSplatConstant())
    data.assign(P, given.data[0]);
  if (given.type.dims != std::vector<int64_t>{P, 1, 1} && !given.isSplatConstant())
    return "";
  bool includePad = data == all;
  if (!includePad && data != inside)
    return "";
  if (w.dilationH != 1 || w.dilationW != 1) // AveragePool has no dilations before opset 19
    return "";
  std::vector<Attr> attrs = windowAttrs(w, true);
  attrs.erase(attrs.begin() + 2); // dilations
  attrs.push_back(Attr::of("count_include_pad", includePad));
  std::string y = w_.node("AveragePool", {toNCHW(get(cols->operands[0]), true)}, attrs);
  return w_.reshapeTo(fromNCHW(y, true), div.type);
}

/// log(1 + x) without losing small x: x * log(u) / (u - 1) with u = 1 + x
/// (exact where u rounds to 1), as libm's log1p would give within an ulp.
std::string GraphExporter::log1p(const Node &n) {
  std::string x = in(n, 0), one = w_.scalar(n.type.dtype, 1);
  std::string u = w_.node("Add", {x, one});
  std::string ratio =
      w_.node("Div", {w_.node("Log", {u}), w_.node("Sub", {u, one})});
  std::string general = w_.node("Mul", {x, ratio});
  return w_.node("Where", {w_.node("Equal", {u, one}), x, general});
}

GraphExporter::Value GraphExporter::translate(const Node &n) {
  Value v;
  switch (n.op) {
  case OpKind::Param:
    if (params_) {
      v.name = params_(n, {});
      break;
    }
    [[fallthrough]];
  case OpKind::Input:
    throw ExportError{"predict reads '" + n.name + "', which is not a model input", n.loc};
  case OpKind::Constant:
    v.name = constant(n);
    break;
  case OpKind::BatchSize:
    v.name = w_.node("Cast", {w_.node("Squeeze", {w_.batchVector(), w_.ints({0})})},
                {Attr::of("to", onnxType(n.type.dtype))});
    break;
  case OpKind::DropoutMask: // all ones outside training
    v = {w_.node("Expand", {w_.scalar(n.type.dtype, 1), w_.ints(withBatch(n.type.dims, 1, n.type.batched))}),
         n.type.batched};
    break;
  case OpKind::RandomNormal:
  case OpKind::RandomUniform:
    fail(n, "nnc's random draws (Philox, keyed by step and seed) have no ONNX counterpart that "
            "draws the same numbers");
  case OpKind::Neg:
    v = unary(n, "Neg");
    break;
  case OpKind::Exp:
    v = unary(n, "Exp");
    break;
  case OpKind::Log:
    v = unary(n, "Log");
    break;
  case OpKind::Log1p:
    v.name = log1p(n);
    break;
  case OpKind::Sigmoid:
    v = unary(n, "Sigmoid");
    break;
  case OpKind::Tanh:
    v = unary(n, "Tanh");
    break;
  case OpKind::Relu:
    v = unary(n, "Relu");
    break;
  case OpKind::Step: {
    Value x = lazy(n.operands[0]);
    v = {w_.node("Cast", {w_.node("Greater", {x.name, w_.scalar(n.type.dtype, 0)})},
                 {Attr::of("to", onnxType(n.type.dtype))}),
         x.batchOfOne};
    break;
  }
  case OpKind::Sign:
    v = unary(n, "Sign");
    break;
  case OpKind::Sqrt:
    v = unary(n, "Sqrt");
    break;
  case OpKind::Sin:
    v = unary(n, "Sin");
    break;
  case OpKind::Cos:
    v = unary(n, "Cos");
    break;
  case OpKind::Abs:
    v = unary(n, "Abs");
    break;
  case OpKind::Erf:
    v = unary(n, "Erf");
    break;
  case OpKind::Tan:
    v = unary(n, "Tan");
    break;
  case OpKind::Asin:
    v = unary(n, "Asin");
    break;
  case OpKind::Acos:
    v = unary(n, "Acos");
    break;
  case OpKind::Atan:
    v = unary(n, "Atan");
    break;
  case OpKind::Sinh:
    v = unary(n, "Sinh");
    break;
  case OpKind::Cosh:
    v = unary(n, "Cosh");
    break;
  case OpKind::Asinh:
    v = unary(n, "Asinh");
    break;
  case OpKind::Acosh:
    v = unary(n, "Acosh");
    break;
  case OpKind::Atanh:
    v = unary(n, "Atanh");
    break;
  case OpKind::Floor:
    v = unary(n, "Floor");
    break;
  case OpKind::Softsign:
    if (n.type.dtype == DType::F64) { // onnxruntime has float Softsign only
      std::string x = in(n, 0);
      v.name = w_.node("Div", {x, w_.node("Add", {w_.scalar(DType::F64, 1), w_.node("Abs", {x})})});
      break;
    }
    v = unary(n, "Softsign");
    break;
  case OpKind::Selu:
    if (n.type.dtype == DType::F64) { // float Selu only: scale (max(0, x) + min(0, a (e^x - 1)))
      std::string x = in(n, 0), zero = w_.scalar(DType::F64, 0);
      std::string em1 = w_.node("Sub", {w_.node("Exp", {x}), w_.scalar(DType::F64, 1)});
      std::string neg = w_.node("Min", {zero, w_.node("Mul", {w_.scalar(DType::F64, kSeluAlpha), em1})});
      v.name = w_.node("Mul", {w_.scalar(DType::F64, kSeluScale),
                               w_.node("Add", {w_.node("Max", {zero, x}), neg})});
      break;
    }
    v = elementwise(n, "Selu", {Attr::real("alpha", kSeluAlpha), Attr::real("gamma", kSeluScale)});
    break;
  case OpKind::StopGradient:
    v = unary(n, "Identity");
    break;
  case OpKind::Add:
    v = binary(n, "Add");
    break;
  case OpKind::Sub:
    v = binary(n, "Sub");
    break;
  case OpKind::Mul:
    v = binary(n, "Mul");
    break;
  case OpKind::Div:
    v.name = avgPool(n);
    if (v.name.empty())
      v = binary(n, "Div");
    break;
  case OpKind::Pow:
    v = binary(n, "Pow");
    break;
  case OpKind::Equal:
    v = compare(n, "Equal");
    break;
  case OpKind::NotEqual:
    v = compare(n, "Equal", true);
    break;
  case OpKind::Less:
    v = compare(n, "Less");
    break;
  case OpKind::LessEqual:
    v = compare(n, "LessOrEqual");
    break;
  case OpKind::Greater:
    v = compare(n, "Greater");
    break;
  case OpKind::GreaterEqual:
    v = compare(n, "GreaterOrEqual");
    break;
  case OpKind::Maximum:
    v = binary(n, "Max");
    break;
  case OpKind::Minimum:
    v = binary(n, "Min");
    break;
  case OpKind::ModeSelect:
    v = lazy(n.operands[1]); // the inference side: predict is never training
    break;
  case OpKind::Select: {
    if (n.operands[1] == n.operands[2]) { // the embedding's padding row keeps its value here
      v = lazy(n.operands[1]);
      break;
    }
    Value cond = lazy(n.operands[0]), b = lazy(n.operands[1]), c = lazy(n.operands[2]);
    std::string test = w_.node("Cast", {cond.name}, {Attr::of("to", onnx::TensorProto::BOOL)});
    v = {w_.node("Where", {test, b.name, c.name}),
         cond.batchOfOne && b.batchOfOne && c.batchOfOne};
    break;
  }
  case OpKind::BroadcastTo:
    v = broadcastTo(n);
    break;
  case OpKind::SumTo:
    v.name = reduceTo(n, "ReduceSum");
    break;
  case OpKind::MaxTo:
    v.name = reduceTo(n, "ReduceMax");
    break;
  case OpKind::MaxPool:
    v.name = maxPool(n);
    break;
  case OpKind::Reshape:
    v.name = w_.reshapeTo(in(n, 0), n.type);
    break;
  case OpKind::Transpose: {
    std::vector<int64_t> perm;
    if (n.type.batched)
      perm.push_back(0);
    for (int64_t p : n.ints)
      perm.push_back(p + (n.type.batched ? 1 : 0));
    v.name = w_.node("Transpose", {in(n, 0)}, {Attr::list("perm", perm)});
    break;
  }
  case OpKind::Slice:
    v.name = slice(n);
    break;
  case OpKind::Pad:
    v.name = pad(n);
    break;
  case OpKind::OneHot: {
    int64_t classes = n.type.dims.back();
    std::string depth = w_.tensor(onnx::TensorProto::INT64, {}, {double(classes)});
    v.name = w_.node("OneHot", {in(n, 0), depth, w_.tensor(onnxType(n.type.dtype), {2}, {0, 1})},
                {Attr::of("axis", -1)});
    break;
  }
  case OpKind::Cast:
    v.name = w_.node("Cast", {in(n, 0)}, {Attr::of("to", onnxType(n.type.dtype))});
    break;
  case OpKind::ArgMax:
  case OpKind::ArgMin: {
    int64_t axis = n.ints[0] + (n.type.batched ? 1 : 0);
    v.name = w_.node(n.op == OpKind::ArgMax ? "ArgMax" : "ArgMin", {in(n, 0)},
                     {Attr::of("axis", axis), Attr::of("keepdims", 0)});
    v.wide = true;
    break;
  }
  case OpKind::Im2Col:
    v.name = im2col(in(n, 0), n.operands[0]->type, n.window, n.scalar, n.type);
    break;
  case OpKind::Col2Im:
    v.name = col2im(n);
    break;
  case OpKind::MatMul:
    v.name = matmul(n);
    break;
  case OpKind::BatchMatMul:
    v.name = batchMatMul(n);
    break;
  case OpKind::Gather:
    v.name = gather(n);
    break;
  case OpKind::ScatterAdd:
    fail(n, "a scatter-add is part of a gradient, which export does not write");
  case OpKind::SoftmaxCrossEntropy:
  case OpKind::SoftmaxCrossEntropyGrad:
  case OpKind::SoftmaxGrad:
  case OpKind::MaxPoolGrad:
    fail(n, "losses and gradients are not part of the inference graph");
  case OpKind::Softmax:
    v.name = w_.node("Softmax", {in(n, 0)}, {Attr::of("axis", -1)});
    break;
  case OpKind::Scan:
    scan(n);
    return {};
  case OpKind::ScanResult:
    v.name = scanResult(n);
    break;
  }
  // Ops that move elements keep an int64 value int64.
  bool moves = opClass(n.op) == OpClass::Shape || n.op == OpKind::Gather ||
               n.op == OpKind::StopGradient;
  if (n.type.dtype == DType::I32 && moves && n.op != OpKind::ArgMax && n.op != OpKind::ArgMin &&
      n.op != OpKind::Cast)
    v.wide = wide(n.operands[0]);
  return v;
}

namespace {

/// What a layer's scan reads, taken apart: the layer's input x, the input
/// projection's weight and bias (computed outside the loop, x W_ih^T +
/// b_ih, sema/Recurrent.cpp), the hidden weight and bias (captures), the
/// initial states.
struct RecurrentParts {
  const Node *x = nullptr, *wih = nullptr, *bih = nullptr, *whh = nullptr, *bhh = nullptr;
  const Node *h0 = nullptr, *c0 = nullptr;
  int64_t hidden = 0;
};

bool recurrentParts(const Node &n, RecurrentParts &r) {
  const ScanBody &body = *n.scan;
  size_t carries = body.carries;
  const Node *xg = n.operands[carries];
  const Node *product = xg;
  if (xg->op == OpKind::Add && xg->operands[1]->op == OpKind::BroadcastTo) {
    product = xg->operands[0];
    r.bih = xg->operands[1]->operands[0];
  }
  if (product->op != OpKind::MatMul || product->transA || !product->transB)
    return false;
  r.x = product->operands[0];
  r.wih = product->operands[1];
  r.whh = n.operands[carries + 1];
  r.bhh = n.operands.size() > carries + 2 ? n.operands[carries + 2] : nullptr;
  r.h0 = n.operands[0];
  r.c0 = body.cell == "lstm" ? n.operands[1] : nullptr;
  r.hidden = n.operands[0]->type.dims.back();
  return true;
}

bool isZeros(const Node *v) {
  while (v->op == OpKind::BroadcastTo)
    v = v->operands[0];
  return v->isSplatConstant() && v->data[0] == 0;
}

} // namespace

/// A recurrent layer's scan as ONNX's LSTM, GRU or RNN op. A bidirectional
/// layer's two scans (NAME_lK and NAME_lK_reverse over one input) become
/// one op with direction 'bidirectional'. Gates are reordered from
/// PyTorch's (i f g o; r z n) to ONNX's (i o f c; z r h) in the graph, so
/// the initializers keep their names and layouts.
void GraphExporter::scan(const Node &n) {
  const ScanBody &body = *n.scan;
  if (body.cell.empty())
    fail(n, "a scan over a user's cell has no ONNX counterpart but Scan, which export does "
            "not write; the rnn, lstm and gru layers export as ONNX's RNN, LSTM and GRU");
  std::vector<const Node *> dirs{&n};
  std::vector<RecurrentParts> parts(1);
  if (!recurrentParts(n, parts[0]))
    fail(n, "the layer's input projection was rewritten into a form export does not recognise");
  if (parts[0].h0->type.dims.size() != 1)
    fail(n, "a recurrent layer over a batch of sequences in each sample ([batch, steps, features] "
            "per sample) does not export yet; give it [steps, features] per sample");
  const std::string suffix = "_reverse";
  bool isReverseName = n.name.size() > suffix.size() &&
                       n.name.compare(n.name.size() - suffix.size(), suffix.size(), suffix) == 0;
  auto partner = scans_.find(isReverseName ? n.name.substr(0, n.name.size() - suffix.size())
                                           : n.name + suffix);
  RecurrentParts other;
  if (partner != scans_.end() && partner->second != &n && partner->second->scan->cell == body.cell &&
      partner->second->scan->reverse != body.reverse && recurrentParts(*partner->second, other) &&
      other.x == parts[0].x && other.hidden == parts[0].hidden) {
    dirs.push_back(partner->second);
    parts.push_back(other);
    if (body.reverse) { // forward first, as ONNX orders the directions
      std::swap(dirs[0], dirs[1]);
      std::swap(parts[0], parts[1]);
    }
  }
  bool lstm = body.cell == "lstm", gru = body.cell == "gru" || body.cell == "gru_reset_before";
  int64_t H = parts[0].hidden;
  std::vector<int64_t> order = lstm ? std::vector<int64_t>{0, 3, 1, 2}
                               : gru ? std::vector<int64_t>{1, 0, 2}
                                     : std::vector<int64_t>{0};
  int64_t G = int64_t(order.size());
  DType dt = parts[0].x->type.dtype;
  // [G*H, ...] in ONNX's gate order, with a leading direction axis.
  auto gates = [&](const Node *v) {
    if (!v)
      return w_.tensor(onnxType(dt), {1, G * H}, std::vector<double>(G * H, 0));
    std::string value = get(v);
    std::vector<std::string> pieces;
    for (int64_t k : order)
      pieces.push_back(
          w_.node("Slice", {value, w_.ints({k * H}), w_.ints({(k + 1) * H}), w_.ints({0})}));
    std::string all = pieces.size() == 1 ? value : w_.node("Concat", pieces, {Attr::of("axis", 0)});
    return w_.node("Unsqueeze", {all, w_.ints({0})});
  };
  // One tensor per direction, stacked along the direction axis.
  auto stack = [&](const std::function<std::string(const RecurrentParts &)> &one) {
    std::vector<std::string> each;
    for (const RecurrentParts &r : parts)
      each.push_back(one(r));
    return each.size() == 1 ? each[0] : w_.node("Concat", each, {Attr::of("axis", 0)});
  };
  std::string W = stack([&](const RecurrentParts &r) { return gates(r.wih); });
  std::string R = stack([&](const RecurrentParts &r) { return gates(r.whh); });
  std::string B = stack([&](const RecurrentParts &r) {
    return w_.node("Concat", {gates(r.bih), gates(r.bhh)}, {Attr::of("axis", 1)});
  });
  std::string X = w_.node("Transpose", {get(parts[0].x)}, {Attr::list("perm", {1, 0, 2})});
  // Initial states of zeros are ONNX's default: left out.
  auto initial = [&](const Node *RecurrentParts::*state) {
    bool zeros = true;
    for (const RecurrentParts &r : parts)
      zeros = zeros && isZeros(r.*state);
    if (zeros)
      return std::string();
    return stack([&](const RecurrentParts &r) {
      return w_.node("Unsqueeze", {get(r.*state), w_.ints({0})});
    });
  };
  std::vector<std::string> inputs = {X, W, R, B, "", initial(&RecurrentParts::h0)};
  if (lstm)
    inputs.push_back(initial(&RecurrentParts::c0));
  while (inputs.back().empty())
    inputs.pop_back();
  std::string direction = dirs.size() == 2 ? "bidirectional" : body.reverse ? "reverse" : "forward";
  std::vector<Attr> attrs = {Attr::of("hidden_size", H), Attr::text("direction", direction)};
  if (gru) // 1: PyTorch's GRU; 0: reset_after: false
    attrs.push_back(Attr::of("linear_before_reset", body.cell == "gru" ? 1 : 0));
  if (body.cell == "rnn_relu") // one activation per direction
    attrs.push_back(Attr::texts("activations", "Relu", int(dirs.size())));
  std::vector<std::string> out =
      w_.node(lstm ? "LSTM" : gru ? "GRU" : "RNN", inputs, attrs, lstm ? 3 : 2);
  for (size_t d = 0; d < dirs.size(); ++d) {
    scanOutputs_[dirs[d]] = {out, dirs.size() == 1 ? -1 : int64_t(d)};
    values_[dirs[d]] = {}; // translated: a scan has no value of its own
  }
}

/// A scan result from the recurrent op's outputs, for the scan's
/// direction: Y [T, D, B, H] as [B, T, H], Y_h and Y_c [D, B, H] as [B, H].
std::string GraphExporter::scanResult(const Node &n) {
  const Node &loop = *n.operands[0];
  lazy(&loop);
  const auto &[out, d] = scanOutputs_.at(&loop);
  const ScanBody &body = *loop.scan;
  size_t k = size_t(n.ints[0]);
  // Direction d of axis `axis`, that axis dropped (Slice + Squeeze, as
  // PyTorch's exports take h_n apart).
  auto direction = [&](const std::string &v, int64_t axis) {
    std::string one = v;
    if (d >= 0) // one direction of two
      one = w_.node("Slice", {v, w_.ints({d}), w_.ints({d + 1}), w_.ints({axis})});
    return w_.node("Squeeze", {one, w_.ints({axis})});
  };
  auto finalState = [&](const std::string &v) { return direction(v, 0); };
  if (k == 0)
    return finalState(out[1]);
  if (body.cell == "lstm" && k == 1)
    return finalState(out[2]);
  if (k == body.stackedOutput(0))
    return w_.node("Transpose", {direction(out[0], 1)}, {Attr::list("perm", {1, 0, 2})});
  fail(n, "a recurrent layer's saved state is part of its gradient, which export does not "
          "write");
}

} // namespace

onnx::ModelProto exportModel(const Program &p, const StateReader &state, int64_t opset) {
  const Entry *predict = p.entry("predict");
  if (!predict || predict->results.empty())
    throw ExportError{"model '" + p.modelName + "' has no outputs: export writes the graph that "
                      "computes them (declare them with 'output NAME = ...')",
                      p.loc};
  if (!p.carried.empty())
    throw ExportError{"a stateful layer's carried state ('" + p.carried[0].name +
                          "') has no place in an ONNX graph; export the model without "
                          "'stateful: true'",
                      p.carried[0].loc};
  onnx::ModelProto model;
  model.set_ir_version(8); // the IR of opsets 16 and 17
  model.set_producer_name("nnc");
  model.set_model_version(1);
  onnx::OperatorSetIdProto *set = model.add_opset_import();
  set->set_domain("");
  set->set_version(opset);
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.set_name(p.modelName);
  std::set<std::string> taken;
  OnnxWriter w(graph, &taken);
  GraphExporter ex(w, opset, [&](const Node &n, const std::vector<int64_t> &perm) {
    const StateTensor &s = p.state[n.stateIndex];
    std::vector<int64_t> dims = s.type.dims;
    std::vector<double> values = state(n.stateIndex);
    if (!perm.empty())
      values = permuted(values, dims, perm);
    return w.tensor(onnxType(s.type.dtype), dims, values, s.name);
  });

  ex.setScans(p.graph);
  // Names first: inputs and outputs keep the model's, parameters theirs.
  for (const Interface &i : p.inputs)
    if (!i.isTarget)
      taken.insert(i.name);
  for (size_t r = 0; r < predict->results.size(); ++r)
    taken.insert(predict->resultNames[r]);
  for (const StateTensor &s : p.state)
    taken.insert(s.name);

  for (const Interface &i : p.inputs) {
    if (i.isTarget)
      continue;
    const TensorType &t = i.node->type;
    // Class indices (token ids) come as int64, as PyTorch exports them.
    bool ids = t.dtype == DType::I32;
    // A typed input (`input m: bool[...]`, `i64[...]`, `f16[...]`) is that
    // ONNX type, cast to the float type it computes in.
    bool typed = i.storage != Storage::Float;
    w.declare(graph.add_input(), i.name,
              ids ? onnx::TensorProto::INT64 : typed ? onnxStorageType(i.storage) : onnxType(t.dtype),
              t);
    if (t.batched && !w.hasBatchSource())
      w.setBatchSource(i.name);
    if (typed)
      ex.bind(i.node, w.node("Cast", {i.name}, {Attr::of("to", onnxType(t.dtype))}));
    else
      ex.bind(i.node, i.name, ids);
  }
  for (size_t r = 0; r < predict->results.size(); ++r) {
    const Node *n = predict->results[r];
    const std::string &name = predict->resultNames[r];
    bool ids = n->type.dtype == DType::I32;
    try {
      ex.get(n);
    } catch (ExportError &e) {
      // Where the model says nothing closer, the output that needs the op.
      e.message += " (output '" + name + "' needs it)";
      for (const Output &o : p.outputs)
        if (o.name == name && !e.loc.valid())
          e.loc = o.loc;
      throw;
    }
    // `output y: bool`, `: i64`, `: f16`: that ONNX type (ONNX's Cast
    // truncates a float to an integer; nnc's values there are whole numbers).
    Storage storage = Storage::Float;
    for (const Output &o : p.outputs)
      if (o.name == name)
        storage = o.storage;
    if (ids && !ex.wide(n))
      w.node("Cast", {ex.get(n)}, {Attr::of("to", onnx::TensorProto::INT64)}, name);
    else if (storage != Storage::Float)
      w.node("Cast", {ex.get(n)}, {Attr::of("to", onnxStorageType(storage))}, name);
    else
      w.node("Identity", {ex.get(n)}, {}, name);
    w.declare(graph.add_output(), name,
              ids                           ? onnx::TensorProto::INT64
              : storage != Storage::Float ? onnxStorageType(storage)
                                          : onnxType(n->type.dtype),
              n->type);
  }
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    throw ExportError{std::string("internal error: the ONNX checker refused the exported "
                                  "graph: ") + e.what(), p.loc};
  }
  return model;
}

} // namespace nnc::onnx_export
