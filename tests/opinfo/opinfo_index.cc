// Indexing: gather, scatter_add, index_select, index_add, one_hot. Index
// operands are int64 whatever the dtype under test; `dim` (and one_hot's
// class count) are bound per sample.
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using Samples = std::vector<SampleInput>;

// Index `i` with position `dim` replaced by `value`.
Index with_dim(Index i, int64_t dim, int64_t value) {
  i[dim] = value;
  return i;
}

Nd gather_ref(const Nd& x, int64_t dim, const Nd& index) {
  dim = wrap_dim(dim, x.rank());
  Nd y = full_nd(index.shape, 0, x.dtype);
  for (int64_t k = 0; k < y.numel(); ++k) {
    const Index i = unravel(k, index.shape);
    y.data[k] = x[with_dim(i, dim, static_cast<int64_t>(index.data[k]))];
  }
  return y;
}

Nd scatter_add_ref(const Nd& x, int64_t dim, const Nd& index, const Nd& src) {
  dim = wrap_dim(dim, x.rank());
  Nd y = x;
  y.dtype = promote(x.dtype, src.dtype);
  for (int64_t k = 0; k < index.numel(); ++k) {
    const Index i = unravel(k, index.shape);
    y[with_dim(i, dim, static_cast<int64_t>(index.data[k]))] += src[i];
  }
  return y;
}

Nd index_select_ref(const Nd& x, int64_t dim, const Nd& index) {
  dim = wrap_dim(dim, x.rank());
  Shape shape = x.shape;
  shape[dim] = index.numel();
  Nd y = full_nd(shape, 0, x.dtype);
  for (int64_t k = 0; k < y.numel(); ++k) {
    const Index i = unravel(k, shape);
    y.data[k] = x[with_dim(i, dim, static_cast<int64_t>(index.data[i[dim]]))];
  }
  return y;
}

Nd index_add_ref(const Nd& x, int64_t dim, const Nd& index, const Nd& src) {
  dim = wrap_dim(dim, x.rank());
  Nd y = x;
  y.dtype = promote(x.dtype, src.dtype);
  for (int64_t k = 0; k < src.numel(); ++k) {
    const Index i = unravel(k, src.shape);
    y[with_dim(i, dim, static_cast<int64_t>(index.data[i[dim]]))] +=
        src.data[k];
  }
  return y;
}

std::string dim_desc(int64_t dim) { return "dim " + std::to_string(dim); }

OpInfo index_entry(std::string name, std::vector<DType> dtypes,
                   std::vector<int> diff_args,
                   std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "index";
  info.samples = std::move(samples);
  info.dtypes = std::move(dtypes);
  info.diff_args = std::move(diff_args);
  info.needs_scalar = false;
  return info;
}

SampleInput gather_sample(TensorList in, std::vector<std::string> tags,
                          int64_t dim) {
  return sample_with(
      std::move(in), std::move(tags), dim_desc(dim),
      [dim](const TensorList& t) { return gather(t.at(0), dim, t.at(1)); },
      [dim](const TensorList& t) {
        return gather_ref(read(t.at(0)), dim, read(t.at(1)));
      });
}

SampleInput scatter_add_sample(TensorList in, std::vector<std::string> tags,
                               int64_t dim) {
  return sample_with(
      std::move(in), std::move(tags), dim_desc(dim),
      [dim](const TensorList& t) {
        return scatter_add(t.at(0), dim, t.at(1), t.at(2));
      },
      [dim](const TensorList& t) {
        return scatter_add_ref(read(t.at(0)), dim, read(t.at(1)),
                               read(t.at(2)));
      });
}

SampleInput index_select_sample(TensorList in, std::vector<std::string> tags,
                                int64_t dim) {
  return sample_with(
      std::move(in), std::move(tags), dim_desc(dim),
      [dim](const TensorList& t) {
        return index_select(t.at(0), dim, t.at(1));
      },
      [dim](const TensorList& t) {
        return index_select_ref(read(t.at(0)), dim, read(t.at(1)));
      });
}

SampleInput index_add_sample(TensorList in, std::vector<std::string> tags,
                             int64_t dim) {
  return sample_with(
      std::move(in), std::move(tags), dim_desc(dim),
      [dim](const TensorList& t) {
        return index_add(t.at(0), dim, t.at(1), t.at(2));
      },
      [dim](const TensorList& t) {
        return index_add_ref(read(t.at(0)), dim, read(t.at(1)), read(t.at(2)));
      });
}

SampleInput one_hot_sample(Tensor index, std::vector<std::string> tags,
                           int64_t classes, DType dtype) {
  return sample_with(
      {std::move(index)}, std::move(tags), std::to_string(classes) + " classes",
      [classes, dtype](const TensorList& t) {
        return one_hot(t.at(0), classes, dtype);
      },
      [classes, dtype](const TensorList& t) {
        const Nd idx = read(t.at(0));
        Shape shape = idx.shape;
        shape.push_back(classes);
        Nd y = full_nd(shape, 0, dtype);
        for (int64_t k = 0; k < idx.numel(); ++k) {
          y.data[k * classes + static_cast<int64_t>(idx.data[k])] = 1;
        }
        return y;
      });
}

}  // namespace

void add_index_ops(std::vector<OpInfo>& db) {
  OpInfo gather_info =
      index_entry("gather", all_dtypes(), {0}, [](DType d, Generator& g) {
        return Samples{
            gather_sample({make({3, 4}, d, g), make_index({2, 4}, 3, g)},
                          {"basic"}, 0),
            gather_sample({make({3, 4}, d, g), make_index({3, 2}, 4, g)},
                          {"basic"}, 1),
            gather_sample({make({3, 4}, d, g), make_index({2, 3}, 4, g)},
                          {"basic"}, -1),
            gather_sample({make({2, 3, 4}, d, g), make_index({2, 5, 4}, 3, g)},
                          {"basic"}, 1),
            gather_sample(
                {make_noncontig({4, 3}, d, g), make_index({2, 3}, 4, g)},
                {"noncontig"}, 0),
            gather_sample(
                {make({3, 4}, d, g), make_index({4, 3}, 3, g).transpose(0, 1)},
                {"noncontig"}, 0),
            gather_sample({make({3, 4}, d, g), make_index({0, 4}, 3, g)},
                          {"zero-size"}, 0),
        };
      });
  gather_info.op = [](const TensorList& t) {
    return gather(t.at(0), 0, t.at(1));
  };
  gather_info.reference = [](const TensorList& t) {
    return gather_ref(read(t.at(0)), 0, read(t.at(1)));
  };
  db.push_back(gather_info);

  OpInfo scatter_info = index_entry(
      "scatter_add", numeric_dtypes(), {0, 2}, [](DType d, Generator& g) {
        return Samples{
            scatter_add_sample({make({3, 4}, d, g), make_index({5, 4}, 3, g),
                                make({5, 4}, d, g)},
                               {"basic"}, 0),
            scatter_add_sample({make({3, 4}, d, g), make_index({3, 6}, 4, g),
                                make({3, 6}, d, g)},
                               {"basic"}, 1),
            scatter_add_sample({make({3, 4}, d, g), make_index({2, 3}, 3, g),
                                make({4, 4}, d, g)},
                               {"basic"}, 0),
            scatter_add_sample(
                {make({2, 3, 4}, d, g), make_index({2, 3, 5}, 4, g),
                 make({2, 3, 5}, d, g)},
                {"basic"}, -1),
            scatter_add_sample(
                {make_noncontig({4, 3}, d, g), make_index({3, 3}, 4, g),
                 make_noncontig({3, 3}, d, g)},
                {"noncontig"}, 0),
            scatter_add_sample({make({3, 4}, d, g), make_index({0, 4}, 3, g),
                                make({0, 4}, d, g)},
                               {"zero-size"}, 0),
        };
      });
  scatter_info.op = [](const TensorList& t) {
    return scatter_add(t.at(0), 0, t.at(1), t.at(2));
  };
  scatter_info.reference = [](const TensorList& t) {
    return scatter_add_ref(read(t.at(0)), 0, read(t.at(1)), read(t.at(2)));
  };
  db.push_back(scatter_info);

  OpInfo select_info =
      index_entry("index_select", all_dtypes(), {0}, [](DType d, Generator& g) {
        return Samples{
            index_select_sample({make({4, 3}, d, g), make_index({5}, 4, g)},
                                {"basic"}, 0),
            index_select_sample({make({4, 3}, d, g), make_index({2}, 3, g)},
                                {"basic"}, 1),
            index_select_sample({make({2, 3, 4}, d, g), make_index({6}, 4, g)},
                                {"basic"}, -1),
            index_select_sample({make({5}, d, g), make_index({3}, 5, g)},
                                {"basic"}, 0),
            index_select_sample(
                {make_noncontig({4, 3}, d, g), make_index({3}, 4, g)},
                {"noncontig"}, 0),
            index_select_sample(
                {make({4, 3}, d, g), make_index({6}, 3, g).slice(0, 0, 6, 2)},
                {"noncontig"}, 1),
            index_select_sample({make({4, 3}, d, g), make_index({0}, 4, g)},
                                {"zero-size"}, 0),
            index_select_sample({make({0, 3}, d, g), make_index({2}, 3, g)},
                                {"zero-size"}, 1),
        };
      });
  select_info.op = [](const TensorList& t) {
    return index_select(t.at(0), 0, t.at(1));
  };
  select_info.reference = [](const TensorList& t) {
    return index_select_ref(read(t.at(0)), 0, read(t.at(1)));
  };
  db.push_back(select_info);

  OpInfo add_info = index_entry(
      "index_add", numeric_dtypes(), {0, 2}, [](DType d, Generator& g) {
        return Samples{
            index_add_sample(
                {make({4, 3}, d, g), make_index({5}, 4, g), make({5, 3}, d, g)},
                {"basic"}, 0),
            index_add_sample(
                {make({4, 3}, d, g), make_index({2}, 3, g), make({4, 2}, d, g)},
                {"basic"}, 1),
            index_add_sample({make({2, 3, 4}, d, g), make_index({5}, 3, g),
                              make({2, 5, 4}, d, g)},
                             {"basic"}, -2),
            index_add_sample(
                {make_noncontig({4, 3}, d, g), make_index({3}, 4, g),
                 make_noncontig({3, 3}, d, g)},
                {"noncontig"}, 0),
            index_add_sample(
                {make({4, 3}, d, g), make_index({0}, 4, g), make({0, 3}, d, g)},
                {"zero-size"}, 0),
        };
      });
  add_info.op = [](const TensorList& t) {
    return index_add(t.at(0), 0, t.at(1), t.at(2));
  };
  add_info.reference = [](const TensorList& t) {
    return index_add_ref(read(t.at(0)), 0, read(t.at(1)), read(t.at(2)));
  };
  db.push_back(add_info);

  OpInfo hot =
      index_entry("one_hot", {kF32, kF64, kI64}, {}, [](DType d, Generator& g) {
        return Samples{
            one_hot_sample(make_index({5}, 4, g), {"basic"}, 4, d),
            one_hot_sample(make_index({2, 3}, 5, g), {"basic"}, 5, d),
            one_hot_sample(make_index({3, 2}, 3, g).transpose(0, 1),
                           {"noncontig"}, 3, d),
            one_hot_sample(make_index({}, 3, g), {"scalar"}, 3, d),
            one_hot_sample(make_index({0}, 4, g), {"zero-size"}, 4, d),
        };
      });
  hot.op = [](const TensorList& t) { return one_hot(t.at(0), 4); };
  hot.reference = [](const TensorList& t) {
    return one_hot_sample(t.at(0), {}, 4, kF32).reference(t);
  };
  hot.differentiable = false;
  hot.needs_scalar = true;
  hot.impl = Impl::kComposite;
  db.push_back(hot);
}

}  // namespace fnx::opinfo
