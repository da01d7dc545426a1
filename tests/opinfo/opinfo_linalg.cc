// Linear algebra: matmul (1-d, 2-d, batched and broadcast-batch operands,
// transposed views), dot, mv, mm, bmm, outer, linear (with and without bias).
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using Samples = std::vector<SampleInput>;

Nd transpose_last(const Nd& x) {
  Index perm(x.rank());
  for (int64_t d = 0; d < x.rank(); ++d) perm[d] = d;
  std::swap(perm[x.rank() - 1], perm[x.rank() - 2]);
  return permute_nd(x, perm);
}

// x W^T (+ b).
Nd linear_ref(const TensorList& in) {
  Nd y = matmul_nd(read(in.at(0)), transpose_last(read(in.at(1))));
  if (in.size() > 2 && in[2].defined()) {
    y = zip(
        y, read(in[2]), [](double a, double b) { return a + b; }, y.dtype);
  }
  return y;
}

OpInfo linalg_entry(std::string name, Impl impl,
                    std::function<Tensor(const Tensor&, const Tensor&)> fn,
                    std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "linalg";
  info.op = [fn](const TensorList& in) { return fn(in.at(0), in.at(1)); };
  info.reference = [](const TensorList& in) {
    return matmul_nd(read(in.at(0)), read(in.at(1)));
  };
  info.samples = std::move(samples);
  info.dtypes = floating_dtypes();
  info.diff_args = {0, 1};
  info.impl = impl;
  info.needs_scalar = false;
  return info;
}

}  // namespace

void add_linalg_ops(std::vector<OpInfo>& db) {
  db.push_back(linalg_entry(
      "matmul", Impl::kPrimitive,
      [](const Tensor& a, const Tensor& b) { return matmul(a, b); },
      [](DType d, Generator& g) {
        auto m = [&](const Shape& s) { return make(s, d, g); };
        return Samples{
            sample({m({4}), m({4})}, {"scalar"}, "1-d . 1-d"),
            sample({m({3, 4}), m({4})}, {"basic"}, "2-d . 1-d"),
            sample({m({4}), m({4, 5})}, {"basic"}, "1-d . 2-d"),
            sample({m({3, 4}), m({4, 5})}, {"basic"}, "2-d . 2-d"),
            sample({m({2, 3, 4}), m({2, 4, 5})}, {"basic"}, "batched"),
            sample({m({2, 1, 3, 4}), m({3, 4, 5})}, {"broadcast"},
                   "broadcast batch dims"),
            sample({m({2, 3, 4}), m({4, 5})}, {"broadcast"}, "3-d . 2-d"),
            sample({m({3, 4}), m({2, 4, 5})}, {"broadcast"}, "2-d . 3-d"),
            sample({m({2, 3, 4}), m({4})}, {"basic"}, "3-d . 1-d"),
            sample({m({4}), m({2, 4, 5})}, {"basic"}, "1-d . 3-d"),
            sample({make_noncontig({3, 4}, d, g), make_noncontig({4, 5}, d, g)},
                   {"noncontig"}, "transposed operands"),
            sample({make_noncontig({2, 3, 4}, d, g), m({2, 4, 5})},
                   {"noncontig"}, "batched transposed lhs"),
            sample({make_strided({3, 4}, d, g), make_noncontig({4}, d, g)},
                   {"noncontig"}, "step-sliced operands"),
            sample({make_expanded({2, 3, 4}, d, g), m({2, 4, 5})}, {"expanded"},
                   "expanded batch"),
            sample({m({0, 4}), m({4, 5})}, {"zero-size"}, "no rows"),
            sample({m({3, 0}), m({0, 5})}, {"zero-size"}, "empty inner dim"),
            sample({m({0, 3, 4}), m({0, 4, 2})}, {"zero-size"}, "no batches"),
        };
      }));
  db.back().needs_scalar = true;
  db.push_back(linalg_entry(
      "dot", Impl::kComposite,
      [](const Tensor& a, const Tensor& b) { return dot(a, b); },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({5}, d, g), make({5}, d, g)}, {"basic", "scalar"}),
            sample({make_noncontig({4}, d, g), make_noncontig({4}, d, g)},
                   {"noncontig", "scalar"}),
            sample({make({0}, d, g), make({0}, d, g)}, {"zero-size", "scalar"}),
        };
      }));
  db.back().needs_scalar = true;
  db.push_back(linalg_entry(
      "mv", Impl::kComposite,
      [](const Tensor& a, const Tensor& b) { return mv(a, b); },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({3, 4}, d, g), make({4}, d, g)}, {"basic"}),
            sample({make_noncontig({3, 4}, d, g), make_noncontig({4}, d, g)},
                   {"noncontig"}),
            sample({make({0, 4}, d, g), make({4}, d, g)}, {"zero-size"}),
            sample({make({3, 0}, d, g), make({0}, d, g)}, {"zero-size"}),
        };
      }));
  db.push_back(linalg_entry(
      "mm", Impl::kComposite,
      [](const Tensor& a, const Tensor& b) { return mm(a, b); },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({3, 4}, d, g), make({4, 5}, d, g)}, {"basic"}),
            sample({make({1, 4}, d, g), make({4, 1}, d, g)}, {"basic"}),
            sample({make_noncontig({3, 4}, d, g), make_noncontig({4, 5}, d, g)},
                   {"noncontig"}),
            sample({make({3, 4}, d, g), make_strided({4, 2}, d, g)},
                   {"noncontig"}),
            sample({make({0, 4}, d, g), make({4, 5}, d, g)}, {"zero-size"}),
            sample({make({3, 0}, d, g), make({0, 5}, d, g)}, {"zero-size"}),
        };
      }));
  db.push_back(linalg_entry(
      "bmm", Impl::kComposite,
      [](const Tensor& a, const Tensor& b) { return bmm(a, b); },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({2, 3, 4}, d, g), make({2, 4, 5}, d, g)}, {"basic"}),
            sample({make_noncontig({2, 3, 4}, d, g),
                    make_noncontig({2, 4, 5}, d, g)},
                   {"noncontig"}),
            sample({make_expanded({3, 2, 4}, d, g), make({3, 4, 2}, d, g)},
                   {"expanded"}),
            sample({make({0, 3, 4}, d, g), make({0, 4, 5}, d, g)},
                   {"zero-size"}),
            sample({make({2, 3, 0}, d, g), make({2, 0, 5}, d, g)},
                   {"zero-size"}),
        };
      }));
  OpInfo outer_info = linalg_entry(
      "outer", Impl::kComposite,
      [](const Tensor& a, const Tensor& b) { return outer(a, b); },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({3}, d, g), make({4}, d, g)}, {"basic"}),
            sample({make_noncontig({3}, d, g), make_noncontig({2}, d, g)},
                   {"noncontig"}),
            sample({make({0}, d, g), make({4}, d, g)}, {"zero-size"}),
        };
      });
  outer_info.reference = [](const TensorList& in) {
    const Nd a = read(in.at(0)), b = read(in.at(1));
    return zip(
        reshape_nd(a, {a.numel(), 1}), b,
        [](double x, double y) { return x * y; }, promote(a.dtype, b.dtype));
  };
  db.push_back(outer_info);

  OpInfo linear_info = linalg_entry(
      "linear", Impl::kComposite,
      [](const Tensor& x, const Tensor& w) { return linear(x, w); },
      [](DType d, Generator& g) {
        auto m = [&](const Shape& s) { return make(s, d, g); };
        return Samples{
            sample({m({2, 3}), m({4, 3}), m({4})}, {"basic"}, "with bias"),
            sample({m({2, 3}), m({4, 3})}, {"basic"}, "no bias"),
            sample({m({5, 2, 3}), m({4, 3}), m({4})}, {"basic"},
                   "batched input"),
            sample({m({3}), m({4, 3}), m({4})}, {"basic"}, "1-d input"),
            sample({m({3}), m({1, 3}), m({1})}, {"basic"}, "one output"),
            sample({m({2, 3}), make_noncontig({4, 3}, d, g),
                    make_noncontig({4}, d, g)},
                   {"noncontig"}, "transposed weight"),
            sample({m({0, 3}), m({4, 3}), m({4})}, {"zero-size"},
                   "empty batch"),
            sample({m({2, 3}), m({4, 3}), m({})}, {"scalar", "broadcast"},
                   "0-d bias"),
        };
      });
  linear_info.op = [](const TensorList& in) {
    return linear(in.at(0), in.at(1), in.size() > 2 ? in[2] : Tensor());
  };
  linear_info.reference = linear_ref;
  linear_info.diff_args = {0, 1, 2};
  linear_info.needs_scalar = true;
  db.push_back(linear_info);
}

}  // namespace fnx::opinfo
