//===- Recurrent.cpp - rnn, lstm and gru layers as scans ------------------===//
//
// PyTorch's nn.RNN, nn.LSTM and nn.GRU with batch_first (the batch is
// nnc's implicit leading axis): x is [T, input] per sample, or [B, T, input]
// when each sample holds a batch of B sequences of its own (an imported
// ONNX model whose whole tensor is the sample). Parameters are
// PyTorch's, by name and layout: NAME.weight_ih_l0 [G*H, input],
// NAME.weight_hh_l0 [G*H, H], NAME.bias_ih_l0, NAME.bias_hh_l0 [G*H], with
// `_reverse` for the backward direction and G the gates (1, 4: i f g o,
// 3: r z n); all drawn from U(-1/sqrt(H), 1/sqrt(H)).
//
// Each layer and direction is one scan (ir/Scan.h). The input's product
// with weight_ih (plus bias_ih) is one matrix product over all T steps,
// outside the loop; the body adds h @ weight_hh^T + bias_hh and applies the
// cell, with ATen's formulas (RNN.cpp), so the numbers are PyTorch's.
//
//===----------------------------------------------------------------------===//
#include "ir/Scan.h"
#include "sema/Lowering.h"

#include <cmath>
#include <functional>

namespace nnc {

namespace {

// GruResetBefore: Keras' GRU with reset_after=False, ONNX's GRU with
// linear_before_reset 0: the reset gate scales h before its product with
// W_hn instead of after.
enum class Cell { RnnTanh, RnnRelu, Lstm, Gru, GruResetBefore };

const char *cellName(Cell c) {
  switch (c) {
  case Cell::RnnTanh: return "rnn_tanh";
  case Cell::RnnRelu: return "rnn_relu";
  case Cell::Lstm: return "lstm";
  case Cell::Gru: return "gru";
  case Cell::GruResetBefore: return "gru_reset_before";
  }
  return "";
}

int gatesOf(Cell c) {
  return c == Cell::Lstm ? 4 : c == Cell::Gru || c == Cell::GruResetBefore ? 3 : 1;
}

/// One step of the cell in the scan's body: the new h (and c for LSTM)
/// from the input's part of the gates `xg` (x W_ih^T + b_ih) and the
/// hidden part `hg` (h W_hh^T + b_hh). GruResetBefore's candidate needs
/// (r h) W_hn^T + b_hn instead, which `resetHidden` gives for r.
std::pair<Node *, Node *> cellStep(Graph &g, Cell cell, Node *xg, Node *hg, Node *h, Node *c,
                                   int64_t H,
                                   const std::function<Node *(Node *)> &resetHidden = nullptr) {
  auto gate = [&](Node *v, int64_t k) { // gate k: [.., k*H, (k+1)*H) of the last axis
    std::vector<int64_t> starts(v->type.dims.size(), 0), sizes = v->type.dims;
    starts.back() = k * H;
    sizes.back() = H;
    return g.slice(v, starts, sizes);
  };
  auto add = [&](Node *a, Node *b) { return g.binary(OpKind::Add, a, b); };
  auto mul = [&](Node *a, Node *b) { return g.binary(OpKind::Mul, a, b); };
  auto sigmoid = [&](Node *v) { return g.unary(OpKind::Sigmoid, v); };
  auto tanh = [&](Node *v) { return g.unary(OpKind::Tanh, v); };
  switch (cell) {
  case Cell::RnnTanh: return {tanh(add(hg, xg)), nullptr};
  case Cell::RnnRelu: return {g.unary(OpKind::Relu, add(hg, xg)), nullptr};
  case Cell::Lstm: {
    Node *gates = add(xg, hg);
    Node *i = sigmoid(gate(gates, 0)), *f = sigmoid(gate(gates, 1));
    Node *cand = tanh(gate(gates, 2)), *o = sigmoid(gate(gates, 3));
    Node *cNew = add(mul(f, c), mul(i, cand));
    return {mul(o, tanh(cNew)), cNew};
  }
  case Cell::Gru: {
    Node *r = sigmoid(add(gate(hg, 0), gate(xg, 0)));
    Node *z = sigmoid(add(gate(hg, 1), gate(xg, 1)));
    Node *n = tanh(add(gate(xg, 2), mul(gate(hg, 2), r)));
    return {add(mul(g.binary(OpKind::Sub, h, n), z), n), nullptr}; // (h - n) z + n
  }
  case Cell::GruResetBefore: {
    Node *r = sigmoid(add(gate(hg, 0), gate(xg, 0)));
    Node *z = sigmoid(add(gate(hg, 1), gate(xg, 1)));
    Node *n = tanh(add(gate(xg, 2), resetHidden(r)));
    return {add(mul(g.binary(OpKind::Sub, h, n), z), n), nullptr};
  }
  }
  return {nullptr, nullptr};
}

/// a and b side by side along their last axis.
Node *concatLast(Graph &g, Node *a, Node *b) {
  std::vector<int64_t> dims = a->type.dims;
  int64_t axis = int64_t(dims.size()) - 1;
  dims[axis] += b->type.dims[axis];
  std::vector<int64_t> at(dims.size(), 0);
  Node *left = g.pad(a, at, dims);
  at[axis] = a->type.dims[axis];
  return g.binary(OpKind::Add, left, g.pad(b, at, dims));
}

/// Rows [H] stacked into `type` [rows.size(), H] (h_n's layout).
Node *stackRows(Graph &g, const std::vector<Node *> &rows, const TensorType &type) {
  Node *sum = nullptr;
  int64_t H = type.dims[1];
  for (size_t k = 0; k < rows.size(); ++k) {
    Node *row = g.pad(g.reshape(rows[k], {1, H}), {int64_t(k), 0}, type.dims);
    sum = sum ? g.binary(OpKind::Add, sum, row) : row;
  }
  return sum;
}

} // namespace

Value Lowering::recurrent(const Expr &e) {
  Graph &g = graph();
  const std::string &fn = e.name;
  bool isLstm = fn == "lstm";
  std::vector<std::string> params = {"x",    "hidden", "num_layers", "bias",      "bidirectional",
                                     "dropout", "h0", "last",     "name",      "trainable",
                                     "stateful"};
  if (isLstm)
    params.push_back("c0");
  if (fn == "rnn")
    params.push_back("nonlinearity");
  if (fn == "gru")
    params.push_back("reset_after");
  CallArgs a = bind(e, params, 2);
  Node *x = tensorArg(a, "x");
  size_t rank = x->type.dims.size();
  if ((rank != 2 && rank != 3) || !x->type.batched || x->type.dtype == DType::I32)
    operandError(*a.get("x"), "'" + fn + "' needs a float sequence [steps, features] (or a batch of "
                                  "them, [batch, steps, features]) per sample, got " +
                                  x->type.str());
  bool inner = rank == 3; // B sequences in each sample: PyTorch's batched input
  DType dt = x->type.dtype;
  int64_t T = x->type.dims[rank - 2];
  int64_t H = intLiteral(*a.get("hidden"), "hidden", 1, int64_t(1) << 20);
  int64_t layers = a.get("num_layers") ? intLiteral(*a.get("num_layers"), "num_layers", 1, 64) : 1;
  auto flag = [&](const char *key) {
    return a.get(key) && scalarLiteral(*a.get(key), key) != 0;
  };
  bool bias = !a.get("bias") || flag("bias");
  bool trainable = !a.get("trainable") || flag("trainable");
  int64_t dirs = flag("bidirectional") ? 2 : 1;
  bool last = flag("last");
  double dropout = a.get("dropout") ? scalarLiteral(*a.get("dropout"), "dropout") : 0.0;
  if (dropout < 0 || dropout >= 1)
    diag_.fatal(a.get("dropout")->loc, "'" + fn + "' 'dropout' must be in [0, 1)");
  Cell cell = isLstm ? Cell::Lstm : fn == "gru" ? Cell::Gru : Cell::RnnTanh;
  if (const Expr *nl = a.get("nonlinearity")) {
    if (nl->kind != Expr::Kind::Name || (nl->name != "tanh" && nl->name != "relu"))
      diag_.fatal(nl->loc, "rnn 'nonlinearity' is tanh or relu");
    cell = nl->name == "relu" ? Cell::RnnRelu : Cell::RnnTanh;
  }
  if (a.get("reset_after") && !flag("reset_after"))
    cell = Cell::GruResetBefore;
  int64_t G = gatesOf(cell) * H;
  std::string name = layerName(a, fn);
  bool stateful = a.get("stateful") ? flag("stateful") : options_.stateful;
  if (stateful && !scans_.empty())
    diag_.fatal(e.loc, "a stateful '" + fn + "' cannot be inside a scan's cell");
  if (stateful && inner)
    diag_.fatal(e.loc, "a stateful '" + fn + "' takes one sequence [steps, features] per sample, "
                       "not a batch of them");
  for (const char *key : {"h0", "c0"})
    if (stateful && a.get(key))
      diag_.fatal(a.get(key)->loc, "a stateful '" + fn + "' carries its own initial state; '" +
                                       key + "' cannot be given");

  // Initial states: [layers * dirs, H] per sample (h_0 of PyTorch, batch
  // leading), or [H] for one layer and direction; with a batch inside the
  // sample [layers * dirs, B, H] or [B, H]. Zeros when not given. A
  // stateful layer reads them from its carried state (NAME.h_n, NAME.c_n).
  std::vector<int64_t> stateDims = {H};
  if (inner)
    stateDims.insert(stateDims.begin(), x->type.dims[0]);
  std::vector<int64_t> stackDims = stateDims;
  stackDims.insert(stackDims.begin(), layers * dirs);
  TensorType stackType{dt, stackDims, true};
  auto dimsText = [](const std::vector<int64_t> &dims) {
    std::string text;
    for (int64_t d : dims)
      text += (text.empty() ? "" : ", ") + std::to_string(d);
    return "[" + text + "]";
  };
  auto initial = [&](const char *key) -> std::function<Node *(int64_t)> {
    const Expr *given = a.get(key);
    TensorType zeroType{dt, stateDims, true};
    // State k of a stack [layers * dirs, ...]: row k without its axis.
    auto row = [&g, stackDims, stateDims](Node *s, int64_t k) {
      std::vector<int64_t> starts(stackDims.size(), 0), sizes = stackDims;
      starts[0] = k;
      sizes[0] = 1;
      return g.reshape(g.slice(s, starts, sizes), stateDims);
    };
    if (stateful) {
      std::string carriedName = name + "." + key[0] + "_n"; // PyTorch's h_n, c_n
      Node *s = g.input(carriedName, stackType, e.loc);
      program_->carried.push_back(CarriedState{carriedName, s, nullptr, e.loc});
      return [row, s](int64_t k) { return row(s, k); };
    }
    if (!given)
      return [&g, zeroType](int64_t) { return g.fill(0.0, zeroType); };
    Node *s = tensorArg(a, key);
    bool flat = s->type.dims == stateDims && layers * dirs == 1;
    if (!flat && s->type.dims != stackDims)
      operandError(*given, "'" + fn + "' '" + key + "' must be " +
                               (layers * dirs == 1 ? dimsText(stateDims) + " or " : std::string()) +
                               dimsText(stackDims) + " per sample, got " + s->type.shapeStr());
    if (s->type.dtype != dt)
      operandError(*given, "'" + fn + "' '" + key + "' must be " + dtypeName(dt) + " like x");
    return [&g, row, s, flat, zeroType](int64_t k) { return g.fitTo(flat ? s : row(s, k), zeroType); };
  };
  auto h0 = initial("h0");
  auto c0 = isLstm ? initial("c0") : nullptr;

  InitSpec uniform;
  uniform.kind = InitSpec::Kind::Uniform;
  uniform.a = -1.0 / std::sqrt(double(H));
  uniform.b = -uniform.a;
  // A batch inside the sample runs time-major, [T, B, F], so that each
  // step's slice is [B, F]; the result goes back to [B, T, ...].
  Node *input = inner ? g.transpose(x, {1, 0, 2}) : x;
  std::vector<Node *> finals;         // the last layer's final h per direction
  std::vector<Node *> hEnd, cEnd;     // every layer's and direction's, for carried state
  for (int64_t l = 0; l < layers; ++l) {
    if (l > 0 && dropout > 0) // between layers, as nn.LSTM's dropout
      input = g.binary(OpKind::Mul, input,
                       g.dropoutMask(program_->stepCounter(), seedState(), input->type, dropout));
    int64_t in = input->type.dims.back();
    std::vector<Node *> outputs;
    finals.clear();
    for (int64_t d = 0; d < dirs; ++d) {
      std::string suffix = "_l" + std::to_string(l) + (d ? "_reverse" : "");
      auto param = [&](const std::string &what, std::vector<int64_t> dims) {
        return createParam(name + "." + what + suffix, TensorType{dt, dims, false}, uniform,
                           trainable, e.loc);
      };
      Node *wih = param("weight_ih", {G, in});
      Node *whh = param("weight_hh", {G, H});
      Node *bih = bias ? param("bias_ih", {G}) : nullptr;
      Node *bhh = bias ? param("bias_hh", {G}) : nullptr;
      Node *xg = g.matmul(input, wih, false, true); // every step at once: [T, (B,) G]
      if (bih)
        xg = g.binary(OpKind::Add, xg, g.broadcastTo(bih, xg->type));

      ScanBuilder scan(T, d == 1, name + suffix);
      Graph &body = scan.body();
      Node *h = scan.carry(h0(l * dirs + d));
      Node *c = isLstm ? scan.carry(c0(l * dirs + d)) : nullptr;
      Node *xt = scan.sequence(xg);
      Node *whhIn = scan.capture(whh), *bhhIn = bhh ? scan.capture(bhh) : nullptr;
      // h W^T + b over `rows` gate rows of weight_hh (and bias_hh) from `first`.
      auto hidden = [&](Node *v, int64_t first, int64_t rows) {
        Node *w = rows == G ? whhIn : body.slice(whhIn, {first, 0}, {rows, H});
        Node *p = body.matmul(v, w, false, true);
        if (!bhhIn)
          return p;
        Node *b = rows == G ? bhhIn : body.slice(bhhIn, {first}, {rows});
        return body.binary(OpKind::Add, p, body.broadcastTo(b, p->type));
      };
      Node *hg = hidden(h, 0, cell == Cell::GruResetBefore ? 2 * H : G);
      auto resetHidden = [&](Node *r) { return hidden(body.binary(OpKind::Mul, r, h), 2 * H, H); };
      auto [hNew, cNew] = cellStep(body, cell, xt, hg, h, c, H, resetHidden);
      std::vector<Node *> carries = {hNew};
      if (isLstm)
        carries.push_back(cNew);
      Node *loop = scan.finish(g, carries, {hNew});
      loop->scan->cell = cellName(cell);
      outputs.push_back(scanResult(g, loop, loop->scan->stackedOutput(0)));
      finals.push_back(scanResult(g, loop, 0));
      hEnd.push_back(finals.back());
      if (isLstm)
        cEnd.push_back(scanResult(g, loop, 1));
    }
    input = dirs == 2 ? concatLast(g, outputs[0], outputs[1]) : outputs[0];
  }
  if (stateful) { // NAME.h_n then NAME.c_n, as pushed above
    size_t first = program_->carried.size() - (isLstm ? 2 : 1);
    program_->carried[first].final = stackRows(g, hEnd, stackType);
    if (isLstm)
      program_->carried[first + 1].final = stackRows(g, cEnd, stackType);
  }
  if (last)
    return Value{dirs == 2 ? concatLast(g, finals[0], finals[1]) : finals[0], {}};
  return Value{inner ? g.transpose(input, {1, 0, 2}) : input, {}};
}

} // namespace nnc
