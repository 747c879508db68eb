//===- DataEval.cpp -------------------------------------------------------===//
#include "sema/DataEval.h"

#include <cmath>
#include <functional>

namespace nnc {
namespace {

struct UnaryFunction {
  const char *name;
  double (*fn)(double);
};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double relu(double x) { return x > 0 ? x : 0; }
double absValue(double x) { return std::fabs(x); }
double expValue(double x) { return std::exp(x); }
double logValue(double x) { return std::log(x); }
double tanhValue(double x) { return std::tanh(x); }
double sqrtValue(double x) { return std::sqrt(x); }
double sinValue(double x) { return std::sin(x); }
double cosValue(double x) { return std::cos(x); }

const UnaryFunction kUnary[] = {
    {"exp", expValue},   {"log", logValue},   {"sigmoid", sigmoid},
    {"tanh", tanhValue}, {"relu", relu},      {"sqrt", sqrtValue},
    {"sin", sinValue},   {"cos", cosValue},   {"abs", absValue},
};

/// Result dims of numpy broadcasting, or false.
bool broadcastDims(const std::vector<int64_t> &a, const std::vector<int64_t> &b,
                   std::vector<int64_t> &out) {
  size_t rank = std::max(a.size(), b.size());
  out.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

/// Index into `src` (dims srcDims) for a flat index of the broadcast result.
int64_t sourceIndex(int64_t flat, const std::vector<int64_t> &outDims,
                    const std::vector<int64_t> &srcDims) {
  int64_t index = 0, stride = 1;
  size_t offset = outDims.size() - srcDims.size();
  for (size_t i = outDims.size(); i-- > 0;) {
    int64_t coord = flat % outDims[i];
    flat /= outDims[i];
    if (i >= offset) {
      int64_t d = srcDims[i - offset];
      index += (d == 1 ? 0 : coord) * stride;
      stride *= d;
    }
  }
  return index;
}

std::string dimsStr(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

class Evaluator {
public:
  Evaluator(const std::map<std::string, Literal> &env, DiagnosticEngine &diag)
      : env_(env), diag_(diag) {}

  Literal eval(const Expr &e) {
    switch (e.kind) {
    case Expr::Kind::Number:
      return {{}, {e.number}};
    case Expr::Kind::Name:
      return name(e);
    case Expr::Kind::Neg: {
      Literal v = eval(*e.operands[0]);
      for (double &x : v.data)
        x = -x;
      return v;
    }
    case Expr::Kind::Binary:
      return binary(e);
    case Expr::Kind::Array:
      return array(e);
    case Expr::Kind::Call:
      return call(e);
    case Expr::Kind::Index:
      return index(e);
    }
    return {};
  }

private:
  /// v[i, a:b]: constant integers, negative from the end; a point drops
  /// its axis.
  Literal index(const Expr &e) {
    Literal v = eval(*e.operands[0]);
    if (e.indices.size() > v.dims.size())
      diag_.fatal(e.loc, std::to_string(e.indices.size()) + " indices for a constant of shape " +
                             dimsStr(v.dims));
    std::vector<int64_t> lo(v.dims.size(), 0), hi = v.dims;
    std::vector<bool> drop(v.dims.size(), false);
    auto bound = [&](const Expr &b, int64_t size, bool point) {
      Literal x = eval(b);
      double at = x.data.empty() ? -1e300 : x.data[0];
      if (!x.isScalar() || at != std::floor(at) || at < -double(size) ||
          at > double(point ? size - 1 : size))
        diag_.fatal(b.loc, "index must be a whole number in " + std::to_string(-size) + ".." +
                               std::to_string(point ? size - 1 : size));
      return static_cast<int64_t>(at < 0 ? at + double(size) : at);
    };
    for (size_t i = 0; i < e.indices.size(); ++i) {
      const IndexItem &item = e.indices[i];
      if (!item.range) {
        lo[i] = bound(*item.lo, v.dims[i], true);
        hi[i] = lo[i] + 1;
        drop[i] = true;
        continue;
      }
      if (item.lo)
        lo[i] = bound(*item.lo, v.dims[i], false);
      if (item.hi)
        hi[i] = bound(*item.hi, v.dims[i], false);
      if (hi[i] <= lo[i])
        diag_.fatal(item.loc, "empty range");
    }
    Literal out;
    for (size_t i = 0; i < v.dims.size(); ++i)
      if (!drop[i])
        out.dims.push_back(hi[i] - lo[i]);
    // Walk the box in row-major order.
    std::vector<int64_t> at = lo;
    while (true) {
      int64_t flat = 0;
      for (size_t i = 0; i < v.dims.size(); ++i)
        flat = flat * v.dims[i] + at[i];
      out.data.push_back(v.data[flat]);
      size_t k = v.dims.size();
      while (k > 0 && ++at[k - 1] == hi[k - 1]) {
        at[k - 1] = lo[k - 1];
        --k;
      }
      if (k == 0)
        break;
    }
    return out;
  }

  Literal name(const Expr &e) {
    auto it = env_.find(e.name);
    if (it != env_.end())
      return it->second;
    if (e.name == "pi")
      return {{}, {M_PI}};
    diag_.fatal(e.loc, "unknown name '" + e.name + "' in a constant expression");
  }

  Literal array(const Expr &e) {
    Literal result;
    std::vector<int64_t> itemDims;
    for (size_t i = 0; i < e.operands.size(); ++i) {
      Literal item = eval(*e.operands[i]);
      if (i == 0)
        itemDims = item.dims;
      else if (item.dims != itemDims)
        diag_.fatal(e.operands[i]->loc,
                    "array elements differ in shape: " + dimsStr(itemDims) +
                        " and " + dimsStr(item.dims));
      result.data.insert(result.data.end(), item.data.begin(), item.data.end());
    }
    result.dims.push_back(static_cast<int64_t>(e.operands.size()));
    result.dims.insert(result.dims.end(), itemDims.begin(), itemDims.end());
    return result;
  }

  /// One element of a binary operator; comparisons give 1 or 0.
  static double apply(const std::string &op, double x, double y) {
    if (op == "+") return x + y;
    if (op == "-") return x - y;
    if (op == "*") return x * y;
    if (op == "/") return x / y;
    if (op == "^") return std::pow(x, y);
    if (op == "<") return x < y;
    if (op == "<=") return x <= y;
    if (op == ">") return x > y;
    if (op == ">=") return x >= y;
    if (op == "==") return x == y;
    return x != y; // "!="
  }

  Literal binary(const Expr &e) {
    Literal a = eval(*e.operands[0]), b = eval(*e.operands[1]);
    if (e.op == "@")
      diag_.fatal(e.loc, "'@' is not supported in constant expressions");
    Literal out;
    if (!broadcastDims(a.dims, b.dims, out.dims))
      diag_.fatal(e.loc, "shapes " + dimsStr(a.dims) + " and " + dimsStr(b.dims) +
                             " cannot be broadcast together");
    // Constants are held as doubles at compile time: keep them below 1 GiB.
    const int64_t kMaxConstant = int64_t(1) << 27;
    int64_t count = 1;
    for (int64_t d : out.dims) {
      if (d > 0 && count > kMaxConstant / d)
        diag_.fatal(e.loc, "constant expression of shape " + dimsStr(out.dims) +
                               " is too large (more than 2^27 elements)");
      count *= d;
    }
    out.data.resize(count);
    for (int64_t i = 0; i < count; ++i) {
      double x = a.data[sourceIndex(i, out.dims, a.dims)];
      double y = b.data[sourceIndex(i, out.dims, b.dims)];
      out.data[i] = apply(e.op, x, y);
    }
    return out;
  }

  Literal call(const Expr &e) {
    if (e.name == "linspace")
      return linspace(e);
    if (!isUnaryFunction(e.name))
      diag_.fatal(e.loc, "'" + e.name + "' cannot be used in a constant expression");
    if (e.operands.size() != 1)
      diag_.fatal(e.loc, "'" + e.name + "' expects 1 argument, got " +
                             std::to_string(e.operands.size()));
    Literal v = eval(*e.operands[0]);
    for (double &x : v.data)
      x = applyUnaryFunction(e.name, x);
    return v;
  }

  // linspace(start, stop, count): count evenly spaced values, both ends included.
  Literal linspace(const Expr &e) {
    if (e.operands.size() != 3)
      diag_.fatal(e.loc, "linspace expects 3 arguments (start, stop, count), got " +
                             std::to_string(e.operands.size()));
    double v[3];
    for (int i = 0; i < 3; ++i) {
      Literal a = eval(*e.operands[i]);
      if (!a.isScalar())
        diag_.fatal(e.operands[i]->loc, "linspace arguments must be scalars");
      v[i] = a.data[0];
    }
    if (v[2] < 1 || v[2] != std::floor(v[2]) || v[2] > 1e8)
      diag_.fatal(e.operands[2]->loc,
                  "linspace count must be a whole number between 1 and 100000000");
    int64_t n = static_cast<int64_t>(v[2]);
    Literal out{{n}, std::vector<double>(n)};
    for (int64_t i = 0; i < n; ++i)
      out.data[i] = n == 1 ? v[0] : v[0] + (v[1] - v[0]) * i / (n - 1);
    return out;
  }

  const std::map<std::string, Literal> &env_;
  DiagnosticEngine &diag_;
};

} // namespace

bool isUnaryFunction(const std::string &name) {
  for (const UnaryFunction &f : kUnary)
    if (name == f.name)
      return true;
  return false;
}

double applyUnaryFunction(const std::string &name, double x) {
  for (const UnaryFunction &f : kUnary)
    if (name == f.name)
      return f.fn(x);
  return x;
}

Literal evalLiteral(const Expr &e, const std::map<std::string, Literal> &env,
                    DiagnosticEngine &diag) {
  return Evaluator(env, diag).eval(e);
}

bool isLiteralExpr(const Expr &e, const std::map<std::string, Literal> &env) {
  for (const IndexItem &item : e.indices)
    if ((item.lo && !isLiteralExpr(*item.lo, env)) || (item.hi && !isLiteralExpr(*item.hi, env)))
      return false;
  switch (e.kind) {
  case Expr::Kind::Number:
    return true;
  case Expr::Kind::Name:
    return !e.quoted && env.count(e.name) != 0;  // `pi` is seeded into env by sema
  case Expr::Kind::Call:
    if (e.name != "linspace" && !isUnaryFunction(e.name))
      return false;
    break;
  case Expr::Kind::Binary:
    if (e.op == "@")
      return false;
    break;
  default:
    break;
  }
  for (const ExprPtr &o : e.operands)
    if (!isLiteralExpr(*o, env))
      return false;
  return true;
}

} // namespace nnc
