// View ops (results share the input's storage): the primitives reshape,
// permute, expand, slice and the composites over them.
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using TFn = std::function<Tensor(const Tensor&)>;
using NFn = std::function<Nd(const Nd&)>;
using Samples = std::vector<SampleInput>;

Shape to_shape(const Index& v) { return make_shape(v); }
Dims to_dims(const Index& v) { return Dims(v.begin(), v.end()); }

// Reference of expand: -1 keeps the input's size.
Nd expand_ref(const Nd& x, const Index& sizes) {
  Shape shape = to_shape(sizes);
  const size_t lead = shape.size() - x.shape.size();
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) shape[d] = x.shape[d - lead];
  }
  return broadcast_nd(x, shape);
}

Nd select_ref(const Nd& x, int64_t dim, int64_t index) {
  dim = wrap_dim(dim, x.rank());
  if (index < 0) index += x.shape[dim];
  Nd y = slice_nd(x, dim, index, index + 1, 1);
  y.shape.erase(y.shape.begin() + dim);
  return y;
}

Nd squeeze_ref(const Nd& x, std::optional<int64_t> dim) {
  Nd y = x;
  y.shape.clear();
  const int64_t d = dim ? wrap_dim(*dim, x.rank()) : -1;
  for (int64_t i = 0; i < x.rank(); ++i) {
    const bool drop = x.shape[i] == 1 && (!dim || i == d);
    if (!drop) y.shape.push_back(x.shape[i]);
  }
  return y;
}

Nd unsqueeze_ref(const Nd& x, int64_t dim) {
  Nd y = x;
  y.shape.insert(y.shape.begin() + wrap_dim(dim, x.rank() + 1), 1);
  return y;
}

Nd flatten_ref(const Nd& x, int64_t start, int64_t end) {
  if (x.rank() == 0) return reshape_nd(x, {1});
  start = wrap_dim(start, x.rank());
  end = wrap_dim(end, x.rank());
  Index shape;
  for (int64_t d = 0; d < start; ++d) shape.push_back(x.shape[d]);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d) merged *= x.shape[d];
  shape.push_back(merged);
  for (int64_t d = end + 1; d < x.rank(); ++d) shape.push_back(x.shape[d]);
  return reshape_nd(x, shape);
}

Nd movedim_ref(const Nd& x, int64_t from, int64_t to) {
  from = wrap_dim(from, x.rank());
  to = wrap_dim(to, x.rank());
  Index perm;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (d != from) perm.push_back(d);
  }
  perm.insert(perm.begin() + to, from);
  return permute_nd(x, perm);
}

Nd transpose_ref(const Nd& x, int64_t d0, int64_t d1) {
  if (x.rank() == 0) return x;
  Index perm(x.rank());
  for (int64_t d = 0; d < x.rank(); ++d) perm[d] = d;
  std::swap(perm[wrap_dim(d0, x.rank())], perm[wrap_dim(d1, x.rank())]);
  return permute_nd(x, perm);
}

OpInfo view_entry(std::string name, Impl impl, TFn op, NFn ref,
                  std::function<Samples(DType, Generator&)> samples) {
  OpInfo info =
      entry1(std::move(name), "view", impl, std::move(op), std::move(ref));
  info.samples = std::move(samples);
  info.dtypes = all_dtypes();
  info.is_view = true;
  return info;
}

SampleInput reshape_sample(Tensor x, std::vector<std::string> tags,
                           Index shape) {
  return sample1(
      std::move(x), std::move(tags), "to " + dims_str(shape),
      [shape](const Tensor& t) { return reshape(t, to_shape(shape)); },
      [shape](const Nd& n) { return reshape_nd(n, shape); });
}

SampleInput permute_sample(Tensor x, std::vector<std::string> tags,
                           Index perm) {
  return sample1(
      std::move(x), std::move(tags), "perm " + dims_str(perm),
      [perm](const Tensor& t) { return permute(t, to_dims(perm)); },
      [perm](const Nd& n) { return permute_nd(n, perm); });
}

SampleInput expand_sample(Tensor x, std::vector<std::string> tags, Index shape,
                          bool use_broadcast_to) {
  return sample1(
      std::move(x), std::move(tags), "to " + dims_str(shape),
      [shape, use_broadcast_to](const Tensor& t) {
        return use_broadcast_to ? broadcast_to(t, to_shape(shape))
                                : expand(t, to_shape(shape));
      },
      [shape](const Nd& n) { return expand_ref(n, shape); });
}

SampleInput slice_sample(Tensor x, std::vector<std::string> tags, int64_t dim,
                         int64_t start, int64_t stop, int64_t step) {
  return sample1(
      std::move(x), std::move(tags),
      "dim " + std::to_string(dim) + " [" + std::to_string(start) + ":" +
          std::to_string(stop) + ":" + std::to_string(step) + "]",
      [=](const Tensor& t) { return slice(t, dim, start, stop, step); },
      [=](const Nd& n) { return slice_nd(n, dim, start, stop, step); });
}

// A sample of an op with two int parameters (transpose, select, flatten,
// movedim): op(t, a, b) against ref(n, a, b).
SampleInput pair_sample(
    Tensor x, std::vector<std::string> tags, int64_t a, int64_t b,
    const std::function<Tensor(const Tensor&, int64_t, int64_t)>& op,
    const std::function<Nd(const Nd&, int64_t, int64_t)>& ref) {
  return sample1(
      std::move(x), std::move(tags),
      "(" + std::to_string(a) + ", " + std::to_string(b) + ")",
      [=](const Tensor& t) { return op(t, a, b); },
      [=](const Nd& n) { return ref(n, a, b); });
}

}  // namespace

void add_view_ops(std::vector<OpInfo>& db) {
  const Impl prim = Impl::kPrimitive, comp = Impl::kComposite;
  db.push_back(view_entry(
      "reshape", prim, [](const Tensor& t) { return reshape(t, {-1}); },
      [](const Nd& n) { return reshape_nd(n, {-1}); },
      [](DType d, Generator& g) {
        return Samples{
            reshape_sample(make({2, 3, 4}, d, g), {"basic"}, {6, 4}),
            reshape_sample(make({2, 3, 4}, d, g), {"basic"}, {-1}),
            reshape_sample(make({2, 3, 4}, d, g), {"basic"}, {4, -1, 3}),
            reshape_sample(make({6}, d, g), {"basic"}, {2, 1, 3}),
            reshape_sample(make_noncontig({4, 3}, d, g), {"noncontig", "copy"},
                           {12}),
            reshape_sample(make_strided({4, 3}, d, g), {"noncontig", "copy"},
                           {2, 6}),
            reshape_sample(make_noncontig({4, 3}, d, g), {"noncontig"},
                           {4, 3, 1}),
            reshape_sample(make_strided({4, 3}, d, g), {"noncontig"},
                           {2, 2, 3}),
            reshape_sample(make_expanded({3, 4}, d, g), {"expanded", "copy"},
                           {12}),
            reshape_sample(make_expanded({3, 4}, d, g), {"expanded"},
                           {3, 2, 2}),
            reshape_sample(make({}, d, g), {"scalar"}, {1}),
            reshape_sample(make({1}, d, g), {"scalar"}, {}),
            reshape_sample(make({1, 1}, d, g), {"scalar"}, {-1}),
            reshape_sample(make({0, 3}, d, g), {"zero-size"}, {3, 0}),
            reshape_sample(make({0, 3}, d, g), {"zero-size"}, {0}),
        };
      }));
  db.push_back(view_entry(
      "permute", prim,
      [](const Tensor& t) {
        return permute(t, {1, 0});
      },
      [](const Nd& n) {
        return permute_nd(n, {1, 0});
      },
      [](DType d, Generator& g) {
        return Samples{
            permute_sample(make({2, 3, 4}, d, g), {"basic"}, {2, 0, 1}),
            permute_sample(make({2, 3, 4}, d, g), {"basic"}, {1, -1, 0}),
            permute_sample(make({3, 4}, d, g), {"basic"}, {0, 1}),
            permute_sample(make_noncontig({4, 3}, d, g), {"noncontig"}, {1, 0}),
            permute_sample(make_expanded({3, 4}, d, g), {"expanded"}, {1, 0}),
            permute_sample(make({0, 3, 2}, d, g), {"zero-size"}, {2, 0, 1}),
            permute_sample(make({}, d, g), {"scalar"}, {}),
        };
      }));
  for (bool use_broadcast_to : {false, true}) {
    db.push_back(view_entry(
        use_broadcast_to ? "broadcast_to" : "expand",
        use_broadcast_to ? comp : prim,
        [](const Tensor& t) {
          return expand(t, {2, 3});
        },
        [](const Nd& n) {
          return expand_ref(n, {2, 3});
        },
        [use_broadcast_to](DType d, Generator& g) {
          const bool b = use_broadcast_to;
          Samples v{
              expand_sample(make({3, 1}, d, g), {"basic"}, {3, 4}, b),
              expand_sample(make({4}, d, g), {"basic"}, {2, 3, 4}, b),
              expand_sample(make({3, 4}, d, g), {"basic"}, {3, 4}, b),
              expand_sample(make({}, d, g), {"scalar"}, {2, 3}, b),
              expand_sample(make({1, 3}, d, g), {"zero-size"}, {0, 3}, b),
              expand_sample(make_strided({3, 1}, d, g), {"noncontig"}, {3, 5},
                            b),
          };
          if (!b) {
            v.push_back(
                expand_sample(make({3, 1}, d, g), {"basic"}, {-1, 4}, b));
            v.push_back(
                expand_sample(make({1, 3}, d, g), {"basic"}, {2, -1, -1}, b));
          }
          return v;
        }));
  }
  db.push_back(view_entry(
      "slice", prim, [](const Tensor& t) { return slice(t, 0, 0, 1); },
      [](const Nd& n) { return slice_nd(n, 0, 0, 1, 1); },
      [](DType d, Generator& g) {
        return Samples{
            slice_sample(make({5, 6}, d, g), {"basic"}, 0, 1, 4, 1),
            slice_sample(make({5, 6}, d, g), {"basic"}, 1, 0, 6, 2),
            slice_sample(make({5, 6}, d, g), {"basic"}, 1, -4, -1, 1),
            slice_sample(make({5, 6}, d, g), {"basic"}, 0, -100, 100, 1),
            slice_sample(make({5, 6}, d, g), {"basic"}, 0, 0, 5, 3),
            slice_sample(make({5, 6}, d, g), {"basic"}, -1, 1, 100, 4),
            slice_sample(make({5, 6}, d, g), {"zero-size"}, 1, 3, 3, 1),
            slice_sample(make({5, 6}, d, g), {"zero-size"}, 0, 4, 2, 1),
            slice_sample(make_noncontig({6, 5}, d, g), {"noncontig"}, 1, 1, 5,
                         2),
            slice_sample(make_expanded({3, 4}, d, g), {"expanded"}, 0, 1, 3, 1),
            slice_sample(make({0, 4}, d, g), {"zero-size"}, 1, 1, 3, 1),
        };
      }));
  db.back().needs_scalar = false;

  using PairOp = std::function<Tensor(const Tensor&, int64_t, int64_t)>;
  using PairRef = std::function<Nd(const Nd&, int64_t, int64_t)>;
  const PairOp transpose_op = [](const Tensor& t, int64_t a, int64_t b) {
    return transpose(t, a, b);
  };
  const PairRef transpose_nd = transpose_ref;
  db.push_back(view_entry(
      "transpose", comp, [](const Tensor& t) { return transpose(t, 0, -1); },
      [](const Nd& n) { return transpose_ref(n, 0, -1); },
      [=](DType d, Generator& g) {
        auto s = [&](Tensor x, std::vector<std::string> tags, int64_t a,
                     int64_t b) {
          return pair_sample(std::move(x), std::move(tags), a, b, transpose_op,
                             transpose_nd);
        };
        return Samples{
            s(make({2, 3, 4}, d, g), {"basic"}, 0, 2),
            s(make({2, 3, 4}, d, g), {"basic"}, -1, -2),
            s(make({2, 3, 4}, d, g), {"basic"}, 1, 1),
            s(make_noncontig({4, 3}, d, g), {"noncontig"}, 0, 1),
            s(make({0, 3}, d, g), {"zero-size"}, 0, 1),
            s(make({}, d, g), {"scalar"}, 0, -1),
        };
      }));
  const PairOp select_op = [](const Tensor& t, int64_t a, int64_t b) {
    return select(t, a, b);
  };
  const PairRef select_nd = select_ref;
  db.push_back(view_entry(
      "select", comp, [](const Tensor& t) { return select(t, 0, 0); },
      [](const Nd& n) { return select_ref(n, 0, 0); },
      [=](DType d, Generator& g) {
        auto s = [&](Tensor x, std::vector<std::string> tags, int64_t a,
                     int64_t b) {
          return pair_sample(std::move(x), std::move(tags), a, b, select_op,
                             select_nd);
        };
        return Samples{
            s(make({3, 4}, d, g), {"basic"}, 0, 1),
            s(make({3, 4}, d, g), {"basic"}, 1, -1),
            s(make({2, 3, 4}, d, g), {"basic"}, 1, 2),
            s(make_noncontig({4, 3}, d, g), {"noncontig"}, 1, 0),
            s(make({0, 3}, d, g), {"zero-size"}, 1, 2),
            s(make({5}, d, g), {"scalar"}, 0, 3),
        };
      }));
  db.push_back(view_entry(
      "squeeze", comp, [](const Tensor& t) { return squeeze(t); },
      [](const Nd& n) { return squeeze_ref(n, std::nullopt); },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({1, 3, 1, 2}, d, g)}, {"basic"}),
            sample({make({3, 4}, d, g)}, {"basic"}, "nothing to squeeze"),
            sample({make({1, 1}, d, g)}, {"scalar"}, "to 0-d"),
            sample({make({}, d, g)}, {"scalar"}),
            sample({make({0, 1, 3}, d, g)}, {"zero-size"}),
            sample({make_noncontig({1, 4, 3}, d, g)}, {"noncontig"}),
        };
      }));
  const PairOp squeeze_op = [](const Tensor& t, int64_t a, int64_t) {
    return squeeze(t, a);
  };
  const PairRef squeeze_nd = [](const Nd& n, int64_t a, int64_t) {
    return squeeze_ref(n, a);
  };
  db.push_back(view_entry(
      "squeeze.dim", comp, [](const Tensor& t) { return squeeze(t, 0); },
      [](const Nd& n) { return squeeze_ref(n, 0); },
      [=](DType d, Generator& g) {
        auto s = [&](Tensor x, std::vector<std::string> tags, int64_t a) {
          return pair_sample(std::move(x), std::move(tags), a, 0, squeeze_op,
                             squeeze_nd);
        };
        return Samples{
            s(make({1, 3, 1, 2}, d, g), {"basic"}, 0),
            s(make({1, 3, 1, 2}, d, g), {"basic"}, 2),
            s(make({1, 3, 1, 2}, d, g), {"basic"}, -2),
            s(make({1}, d, g), {"scalar"}, 0),
            s(make({0, 1, 3}, d, g), {"zero-size"}, 1),
            s(make_noncontig({3, 1, 4, 2}, d, g), {"noncontig"}, 1),
        };
      }));
  const PairOp unsqueeze_op = [](const Tensor& t, int64_t a, int64_t) {
    return unsqueeze(t, a);
  };
  const PairRef unsqueeze_nd = [](const Nd& n, int64_t a, int64_t) {
    return unsqueeze_ref(n, a);
  };
  db.push_back(view_entry(
      "unsqueeze", comp, [](const Tensor& t) { return unsqueeze(t, 0); },
      [](const Nd& n) { return unsqueeze_ref(n, 0); },
      [=](DType d, Generator& g) {
        auto s = [&](Tensor x, std::vector<std::string> tags, int64_t a) {
          return pair_sample(std::move(x), std::move(tags), a, 0, unsqueeze_op,
                             unsqueeze_nd);
        };
        return Samples{
            s(make({3, 4}, d, g), {"basic"}, 0),
            s(make({3, 4}, d, g), {"basic"}, 2),
            s(make({3, 4}, d, g), {"basic"}, -1),
            s(make({3, 4}, d, g), {"basic"}, -3),
            s(make({}, d, g), {"scalar"}, 0),
            s(make({0, 3}, d, g), {"zero-size"}, 1),
            s(make_noncontig({4, 3}, d, g), {"noncontig"}, 1),
        };
      }));
  const PairOp flatten_op = [](const Tensor& t, int64_t a, int64_t b) {
    return flatten(t, a, b);
  };
  const PairRef flatten_nd = flatten_ref;
  db.push_back(view_entry(
      "flatten", comp, [](const Tensor& t) { return flatten(t); },
      [](const Nd& n) { return flatten_ref(n, 0, -1); },
      [=](DType d, Generator& g) {
        auto s = [&](Tensor x, std::vector<std::string> tags, int64_t a,
                     int64_t b) {
          return pair_sample(std::move(x), std::move(tags), a, b, flatten_op,
                             flatten_nd);
        };
        return Samples{
            s(make({2, 3, 4}, d, g), {"basic"}, 0, -1),
            s(make({2, 3, 4}, d, g), {"basic"}, 1, 2),
            s(make({2, 3, 4}, d, g), {"basic"}, 0, 1),
            s(make({2, 3, 4}, d, g), {"basic"}, 1, 1),
            s(make_noncontig({2, 4, 3}, d, g), {"noncontig", "copy"}, 1, 2),
            s(make_noncontig({2, 4, 3}, d, g), {"noncontig"}, 0, 0),
            s(make({}, d, g), {"scalar"}, 0, -1),
            s(make({0, 3, 2}, d, g), {"zero-size"}, 0, -1),
        };
      }));
  const PairOp movedim_op = [](const Tensor& t, int64_t a, int64_t b) {
    return movedim(t, a, b);
  };
  const PairRef movedim_nd = movedim_ref;
  db.push_back(view_entry(
      "movedim", comp, [](const Tensor& t) { return movedim(t, 0, -1); },
      [](const Nd& n) { return movedim_ref(n, 0, -1); },
      [=](DType d, Generator& g) {
        auto s = [&](Tensor x, std::vector<std::string> tags, int64_t a,
                     int64_t b) {
          return pair_sample(std::move(x), std::move(tags), a, b, movedim_op,
                             movedim_nd);
        };
        return Samples{
            s(make({2, 3, 4}, d, g), {"basic"}, 0, 2),
            s(make({2, 3, 4}, d, g), {"basic"}, -1, 0),
            s(make({2, 3, 4}, d, g), {"basic"}, 1, 1),
            s(make_noncontig({4, 3}, d, g), {"noncontig"}, 0, 1),
            s(make({0, 3, 2}, d, g), {"zero-size"}, 0, 2),
        };
      }));
  db.back().needs_scalar = false;
  db.push_back(view_entry(
      "narrow", comp, [](const Tensor& t) { return narrow(t, 0, 0, 1); },
      [](const Nd& n) { return slice_nd(n, 0, 0, 1, 1); },
      [](DType d, Generator& g) {
        auto s = [&](Tensor x, std::vector<std::string> tags, int64_t dim,
                     int64_t start, int64_t length) {
          return sample1(
              std::move(x), std::move(tags),
              "dim " + std::to_string(dim) + " start " + std::to_string(start) +
                  " length " + std::to_string(length),
              [=](const Tensor& t) { return narrow(t, dim, start, length); },
              [=](const Nd& n) {
                return slice_nd(n, dim, start, start + length, 1);
              });
        };
        return Samples{
            s(make({5, 6}, d, g), {"basic"}, 0, 1, 3),
            s(make({5, 6}, d, g), {"basic"}, 1, 2, 4),
            s(make({5, 6}, d, g), {"basic"}, -1, 0, 6),
            s(make({5, 6}, d, g), {"zero-size"}, 1, 3, 0),
            s(make_noncontig({6, 5}, d, g), {"noncontig"}, 1, 1, 3),
            s(make({0, 4}, d, g), {"zero-size"}, 1, 1, 2),
        };
      }));
  db.back().needs_scalar = false;
}

}  // namespace fnx::opinfo
