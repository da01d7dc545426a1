// Composites over the shape, index and matmul primitives: tensordot, kron,
// cross, flip, roll, repeat, repeat_interleave (int and tensor repeats),
// meshgrid (its outputs stacked in reversed order), where with scalar
// branches and masked_select. Their references (reference_composites.cc)
// are index loops over each op's definition.
#include <algorithm>
#include <string>
#include <utility>

#include "tests/opinfo/opinfo_util.h"
#include "tests/opinfo/reference_composites.h"

namespace fnx::opinfo {

namespace {

using Samples = std::vector<SampleInput>;

// meshgrid's outputs stacked in reversed order.
Tensor meshgrid_stacked(const TensorList& in, const std::string& indexing) {
  std::vector<Tensor> outs = meshgrid(in, indexing);
  std::reverse(outs.begin(), outs.end());
  return stack(outs, 0);
}

Index int_values(const Tensor& t) {
  Index out;
  for (double v : values(t)) out.push_back(static_cast<int64_t>(v));
  return out;
}

// ---- entries ----

OpInfo composite_entry(std::string name, std::string family,
                       std::function<Samples(DType, Generator&)> samples,
                       std::vector<int> diff_args) {
  OpInfo info;
  info.name = std::move(name);
  info.family = std::move(family);
  info.impl = Impl::kComposite;
  info.samples = std::move(samples);
  info.dtypes = floating_dtypes();
  info.diff_args = std::move(diff_args);
  info.differentiable = !info.diff_args.empty();
  return info;
}

// The entry's default op/reference: those of its first sample, drawn in
// float64 (the database test calls them only through op_for, so this is
// for suites that want one).
void default_from_first(OpInfo& info) {
  Generator gen(0);
  const SampleInput first = info.samples(kF64, gen).at(0);
  info.op = first.op;
  info.reference = first.reference;
}

SampleInput two(Tensor a, Tensor b, std::vector<std::string> tags,
                std::string desc,
                std::function<Tensor(const Tensor&, const Tensor&)> op,
                std::function<Nd(const Tensor&, const Tensor&)> ref) {
  return sample_with(
      {std::move(a), std::move(b)}, std::move(tags), std::move(desc),
      [op](const TensorList& in) { return op(in.at(0), in.at(1)); },
      [ref](const TensorList& in) { return ref(in.at(0), in.at(1)); });
}

SampleInput tensordot_sample(Tensor a, Tensor b, std::vector<std::string> tags,
                             Index da, Index db) {
  return two(
      std::move(a), std::move(b), std::move(tags),
      "dims " + dims_str(da) + " " + dims_str(db),
      [da, db](const Tensor& x, const Tensor& y) {
        return tensordot(x, y, Dims(da.begin(), da.end()),
                         Dims(db.begin(), db.end()));
      },
      [da, db](const Tensor& x, const Tensor& y) {
        return tensordot_ref(read(x), read(y), da, db);
      });
}

SampleInput tensordot_int_sample(Tensor a, Tensor b,
                                 std::vector<std::string> tags, int64_t dims) {
  Index da, db;
  for (int64_t k = 0; k < dims; ++k) {
    da.push_back(a.dim() - dims + k);
    db.push_back(k);
  }
  return two(
      std::move(a), std::move(b), std::move(tags),
      "dims " + std::to_string(dims),
      [dims](const Tensor& x, const Tensor& y) {
        return tensordot(x, y, dims);
      },
      [da, db](const Tensor& x, const Tensor& y) {
        return tensordot_ref(read(x), read(y), da, db);
      });
}

SampleInput kron_sample(Tensor a, Tensor b, std::vector<std::string> tags) {
  return two(
      std::move(a), std::move(b), std::move(tags), "",
      [](const Tensor& x, const Tensor& y) { return kron(x, y); },
      [](const Tensor& x, const Tensor& y) {
        return kron_ref(read(x), read(y));
      });
}

SampleInput cross_sample(Tensor a, Tensor b, std::vector<std::string> tags,
                         int64_t dim) {
  return two(
      std::move(a), std::move(b), std::move(tags), "dim " + std::to_string(dim),
      [dim](const Tensor& x, const Tensor& y) { return cross(x, y, dim); },
      [dim](const Tensor& x, const Tensor& y) {
        return cross_ref(read(x), read(y), dim);
      });
}

SampleInput flip_sample(Tensor x, std::vector<std::string> tags, Index dims) {
  return sample1(
      std::move(x), std::move(tags), "dims " + dims_str(dims),
      [dims](const Tensor& t) {
        return flip(t, Dims(dims.begin(), dims.end()));
      },
      [dims](const Nd& n) { return flip_ref(n, dims); });
}

SampleInput roll_sample(Tensor x, std::vector<std::string> tags, Index shifts,
                        Index dims) {
  return sample1(
      std::move(x), std::move(tags),
      "shifts " + dims_str(shifts) + " dims " + dims_str(dims),
      [shifts, dims](const Tensor& t) {
        return roll(t, shifts, Dims(dims.begin(), dims.end()));
      },
      [shifts, dims](const Nd& n) { return roll_ref(n, shifts, dims); });
}

SampleInput repeat_sample(Tensor x, std::vector<std::string> tags,
                          Index sizes) {
  return sample1(
      std::move(x), std::move(tags), "sizes " + dims_str(sizes),
      [sizes](const Tensor& t) { return repeat(t, make_shape(sizes)); },
      [sizes](const Nd& n) { return repeat_ref(n, sizes); });
}

// dim < -100: no dim (the flattened tensor).
SampleInput interleave_sample(Tensor x, std::vector<std::string> tags,
                              int64_t repeats, int64_t dim) {
  const bool has_dim = dim > -100;
  return sample1(
      std::move(x), std::move(tags),
      "repeats " + std::to_string(repeats) +
          (has_dim ? " dim " + std::to_string(dim) : " no dim"),
      [repeats, has_dim, dim](const Tensor& t) {
        return repeat_interleave(
            t, repeats, has_dim ? std::optional<int64_t>(dim) : std::nullopt);
      },
      [repeats, has_dim, dim](const Nd& n) {
        return repeat_interleave_ref(n, {repeats}, has_dim, dim);
      });
}

SampleInput interleave_tensor_sample(Tensor x, std::vector<int64_t> repeats,
                                     std::vector<std::string> tags,
                                     int64_t dim) {
  const bool has_dim = dim > -100;
  int64_t total = 0;
  for (int64_t r : repeats) total += r;
  if (repeats.size() == 1) {
    total *= has_dim ? x.shape()[wrap_dim(dim, x.dim())] : x.numel();
  }
  const Shape shape{static_cast<int64_t>(repeats.size())};
  return two(
      std::move(x), from_vector(repeats, shape, kI64), std::move(tags),
      "output_size " + std::to_string(total) +
          (has_dim ? " dim " + std::to_string(dim) : " no dim"),
      [total, has_dim, dim](const Tensor& t, const Tensor& r) {
        return repeat_interleave(
            t, r, has_dim ? std::optional<int64_t>(dim) : std::nullopt, total);
      },
      [has_dim, dim](const Tensor& t, const Tensor& r) {
        return repeat_interleave_ref(read(t), int_values(r), has_dim, dim);
      });
}

SampleInput meshgrid_sample(TensorList xs, std::vector<std::string> tags,
                            std::string indexing) {
  return sample_with(
      std::move(xs), std::move(tags), "indexing " + indexing,
      [indexing](const TensorList& in) {
        return meshgrid_stacked(in, indexing);
      },
      [indexing](const TensorList& in) {
        std::vector<Nd> xs;
        for (const Tensor& t : in) xs.push_back(read(t));
        return meshgrid_ref(xs, indexing);
      });
}

SampleInput masked_select_sample(Tensor x, Tensor mask,
                                 std::vector<std::string> tags, int64_t size,
                                 double fill) {
  return two(
      std::move(x), std::move(mask), std::move(tags),
      "size " + std::to_string(size) + " fill " + std::to_string(fill),
      [size, fill](const Tensor& t, const Tensor& m) {
        return masked_select(t, m, size, fill);
      },
      [size, fill](const Tensor& t, const Tensor& m) {
        return masked_select_ref(read(t), read(m), size, fill);
      });
}

// where with one or two double branches: `kind` 0 = (cond, x, 0.5),
// 1 = (cond, -1.5, x), 2 = (cond, 2.0, -3.0) in the sample's dtype.
OpInfo where_scalar_entry(const std::string& name, int kind) {
  auto op = [kind](const TensorList& in) {
    switch (kind) {
      case 0:
        return where(in.at(0), in.at(1), 0.5);
      case 1:
        return where(in.at(0), -1.5, in.at(1));
      default:
        return where(in.at(0), 2.0, -3.0, kF64);
    }
  };
  auto ref = [kind](const TensorList& in) {
    const Nd c = read(in.at(0));
    if (kind == 2) {
      return map(
          c, [](double m) { return m != 0 ? 2.0 : -3.0; }, kF64);
    }
    const Nd x = broadcast_nd(read(in.at(1)),
                              broadcast_shape(c.shape, read(in.at(1)).shape));
    const Nd cb = broadcast_nd(c, x.shape);
    return zip(
        cb, x,
        [kind](double m, double v) {
          return kind == 0 ? (m != 0 ? v : 0.5) : (m != 0 ? -1.5 : v);
        },
        x.dtype);
  };
  OpInfo info = composite_entry(
      name, "where",
      [kind](DType d, Generator& g) {
        auto mask = [&](const Shape& s) { return make(s, kBool, g); };
        if (kind == 2) {
          return Samples{
              sample({mask({3, 4})}, {"basic"}),
              sample({make_noncontig({3, 4}, kBool, g)}, {"noncontig"}),
              sample({mask({0, 2})}, {"zero-size"}),
              sample({mask({})}, {"scalar"}),
          };
        }
        return Samples{
            sample({mask({3, 4}), make({3, 4}, d, g)}, {"basic"}),
            sample({mask({3, 1}), make({4}, d, g)}, {"broadcast"}),
            sample({make_noncontig({3, 4}, kBool, g),
                    make_noncontig({3, 4}, d, g)},
                   {"noncontig"}),
            sample({mask({0, 2}), make({0, 2}, d, g)}, {"zero-size"}),
            sample({mask({}), make({}, d, g)}, {"scalar"}),
        };
      },
      kind == 2 ? std::vector<int>{} : std::vector<int>{1});
  info.op = op;
  info.reference = ref;
  return info;
}

}  // namespace

void add_composite_ops(std::vector<OpInfo>& db) {
  OpInfo td = composite_entry(
      "tensordot", "linalg",
      [](DType d, Generator& g) {
        return Samples{
            tensordot_int_sample(make({3, 4}, d, g), make({4, 2}, d, g),
                                 {"basic"}, 1),
            tensordot_int_sample(make({2, 3, 4}, d, g), make({3, 4, 2}, d, g),
                                 {"basic"}, 2),
            tensordot_int_sample(make({2}, d, g), make({3}, d, g), {"basic"},
                                 0),
            tensordot_sample(make({3, 2, 4}, d, g), make({4, 2, 3}, d, g),
                             {"basic"}, {0, -1}, {2, 0}),
            tensordot_int_sample(make({4}, d, g), make({4}, d, g), {"scalar"},
                                 1),
            tensordot_sample(make_noncontig({3, 4}, d, g), make({2, 3}, d, g),
                             {"noncontig"}, {0}, {1}),
            tensordot_int_sample(make({0, 3}, d, g), make({3, 2}, d, g),
                                 {"zero-size"}, 1),
            tensordot_int_sample(make({2, 0}, d, g), make({0, 3}, d, g),
                                 {"zero-size"}, 1),
        };
      },
      {0, 1});
  default_from_first(td);
  db.push_back(td);

  OpInfo kr = composite_entry(
      "kron", "linalg",
      [](DType d, Generator& g) {
        return Samples{
            kron_sample(make({2, 3}, d, g), make({2, 2}, d, g), {"basic"}),
            kron_sample(make({3}, d, g), make({2, 2}, d, g), {"broadcast"}),
            kron_sample(make({}, d, g), make({3}, d, g), {"scalar"}),
            kron_sample(make_noncontig({2, 3}, d, g), make({2, 1}, d, g),
                        {"noncontig"}),
            kron_sample(make({0, 2}, d, g), make({2, 2}, d, g), {"zero-size"}),
        };
      },
      {0, 1});
  default_from_first(kr);
  db.push_back(kr);

  OpInfo cr = composite_entry(
      "cross", "linalg",
      [](DType d, Generator& g) {
        return Samples{
            cross_sample(make({4, 3}, d, g), make({4, 3}, d, g), {"basic"}, -1),
            cross_sample(make({2, 3}, d, g), make({3}, d, g), {"broadcast"},
                         -1),
            cross_sample(make({3, 2}, d, g), make({3, 2}, d, g), {"basic"}, 0),
            cross_sample(make_noncontig({3, 4}, d, g), make({3, 4}, d, g),
                         {"noncontig"}, 0),
            cross_sample(make({0, 3}, d, g), make({0, 3}, d, g), {"zero-size"},
                         1),
        };
      },
      {0, 1});
  cr.needs_scalar = false;
  default_from_first(cr);
  db.push_back(cr);

  OpInfo fl = composite_entry(
      "flip", "shape",
      [](DType d, Generator& g) {
        return Samples{
            flip_sample(make({3, 4}, d, g), {"basic"}, {0}),
            flip_sample(make({2, 3, 4}, d, g), {"basic"}, {-1, 0}),
            flip_sample(make({3, 4}, d, g), {"basic"}, {}),
            flip_sample(make_noncontig({3, 4}, d, g), {"noncontig"}, {1}),
            flip_sample(make({0, 4}, d, g), {"zero-size"}, {0, 1}),
            flip_sample(make({}, d, g), {"scalar"}, {}),
        };
      },
      {0});
  default_from_first(fl);
  db.push_back(fl);

  OpInfo rl = composite_entry(
      "roll", "shape",
      [](DType d, Generator& g) {
        return Samples{
            roll_sample(make({3, 4}, d, g), {"basic"}, {1}, {1}),
            roll_sample(make({3, 4}, d, g), {"basic"}, {-5, 2}, {1, 0}),
            roll_sample(make({3, 4}, d, g), {"basic"}, {5}, {}),
            roll_sample(make({3, 4}, d, g), {"basic"}, {3}, {0}),
            roll_sample(make_noncontig({3, 4}, d, g), {"noncontig"}, {2}, {0}),
            roll_sample(make({0, 4}, d, g), {"zero-size"}, {1, 1}, {0, 1}),
            roll_sample(make({}, d, g), {"scalar"}, {3}, {}),
        };
      },
      {0});
  default_from_first(rl);
  db.push_back(rl);

  OpInfo rp = composite_entry(
      "repeat", "shape",
      [](DType d, Generator& g) {
        return Samples{
            repeat_sample(make({2, 3}, d, g), {"basic"}, {2, 2}),
            repeat_sample(make({3}, d, g), {"basic"}, {2, 1, 2}),
            repeat_sample(make({2, 3}, d, g), {"zero-size"}, {0, 2}),
            repeat_sample(make_noncontig({2, 3}, d, g), {"noncontig"}, {1, 3}),
            repeat_sample(make({0, 2}, d, g), {"zero-size"}, {2, 2}),
            repeat_sample(make({}, d, g), {"scalar"}, {2, 3}),
        };
      },
      {0});
  default_from_first(rp);
  db.push_back(rp);

  OpInfo ri = composite_entry(
      "repeat_interleave", "shape",
      [](DType d, Generator& g) {
        return Samples{
            interleave_sample(make({2, 3}, d, g), {"basic"}, 2, 0),
            interleave_sample(make({2, 3}, d, g), {"basic"}, 3, -1),
            interleave_sample(make({2, 3}, d, g), {"basic"}, 2, -1000),
            interleave_sample(make_noncontig({2, 3}, d, g), {"noncontig"}, 2,
                              1),
            interleave_sample(make({2, 3}, d, g), {"zero-size"}, 0, 1),
            interleave_sample(make({}, d, g), {"scalar"}, 3, -1000),
        };
      },
      {0});
  default_from_first(ri);
  db.push_back(ri);

  OpInfo rit = composite_entry(
      "repeat_interleave.tensor", "shape",
      [](DType d, Generator& g) {
        return Samples{
            interleave_tensor_sample(make({2, 3}, d, g), {0, 2, 1}, {"basic"},
                                     1),
            interleave_tensor_sample(make({3, 2}, d, g), {1, 3, 2}, {"basic"},
                                     0),
            interleave_tensor_sample(make({2, 2}, d, g), {2}, {"basic"}, -1000),
            interleave_tensor_sample(make_noncontig({2, 3}, d, g), {2, 1, 1},
                                     {"noncontig"}, 1),
            interleave_tensor_sample(make({0, 3}, d, g), {}, {"zero-size"}, 0),
            interleave_tensor_sample(make({}, d, g), {3}, {"scalar"}, -1000),
        };
      },
      {0});
  default_from_first(rit);
  db.push_back(rit);

  OpInfo mg = composite_entry(
      "meshgrid", "shape",
      [](DType d, Generator& g) {
        return Samples{
            meshgrid_sample({make({2}, d, g), make({3}, d, g)}, {"basic"},
                            "ij"),
            meshgrid_sample({make({2}, d, g), make({3}, d, g)}, {"basic"},
                            "xy"),
            meshgrid_sample({make({2}, d, g), make({3}, d, g), make({2}, d, g)},
                            {"basic"}, "xy"),
            meshgrid_sample({make_noncontig({3}, d, g), make({2}, d, g)},
                            {"noncontig"}, "ij"),
            meshgrid_sample({make({0}, d, g), make({3}, d, g)}, {"zero-size"},
                            "ij"),
            meshgrid_sample({make({}, d, g), make({3}, d, g)}, {"scalar"},
                            "xy"),
        };
      },
      {0, 1, 2});
  default_from_first(mg);
  db.push_back(mg);

  db.push_back(where_scalar_entry("where.tensor_scalar", 0));
  db.push_back(where_scalar_entry("where.scalar_tensor", 1));
  db.push_back(where_scalar_entry("where.scalars", 2));

  OpInfo ms = composite_entry(
      "masked_select", "index",
      [](DType d, Generator& g) {
        auto mask = [&](const Shape& s) { return make(s, kBool, g); };
        return Samples{
            masked_select_sample(make({3, 4}, d, g), mask({3, 4}), {"basic"}, 5,
                                 0),
            masked_select_sample(make({3, 4}, d, g), mask({3, 4}), {"basic"},
                                 12, -1),
            masked_select_sample(make({2, 3}, d, g),
                                 constant({1, 1, 1, 1, 1, 1}, {2, 3}, kBool),
                                 {"basic"}, 4, 0),
            masked_select_sample(make({3, 4}, d, g), mask({4}), {"broadcast"},
                                 8, 2.5),
            masked_select_sample(make({4}, d, g), mask({3, 1}), {"broadcast"},
                                 6, 0),
            masked_select_sample(make_noncontig({3, 4}, d, g),
                                 make_noncontig({3, 4}, kBool, g),
                                 {"noncontig"}, 6, 0),
            masked_select_sample(make({0, 3}, d, g), mask({3}), {"zero-size"},
                                 2, 1),
            masked_select_sample(make({2, 3}, d, g), mask({2, 3}),
                                 {"zero-size"}, 0, 0),
            masked_select_sample(make({}, d, g), mask({}), {"scalar"}, 1, 3),
        };
      },
      {0});
  default_from_first(ms);
  db.push_back(ms);
}

}  // namespace fnx::opinfo
