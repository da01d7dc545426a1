// Shape ops that copy: cat, pad, stack and the multi-output split, chunk and
// unbind (entered as the outputs concatenated / stacked in reversed order,
// so every piece boundary and the piece count are checked).
#include <algorithm>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using Samples = std::vector<SampleInput>;

std::vector<Nd> read_all(const TensorList& in) {
  std::vector<Nd> out;
  for (const Tensor& t : in) out.push_back(read(t));
  return out;
}

SampleInput cat_sample(TensorList xs, std::vector<std::string> tags,
                       int64_t dim) {
  return sample_with(
      std::move(xs), std::move(tags), "dim " + std::to_string(dim),
      [dim](const TensorList& in) { return cat(in, dim); },
      [dim](const TensorList& in) { return cat_nd(read_all(in), dim); });
}

// Stacking = unsqueezing every input at dim, then concatenating.
Nd stack_ref(const std::vector<Nd>& xs, int64_t dim) {
  std::vector<Nd> parts;
  for (const Nd& x : xs) {
    Nd y = x;
    y.shape.insert(y.shape.begin() + wrap_dim(dim, x.rank() + 1), 1);
    parts.push_back(y);
  }
  return cat_nd(parts, wrap_dim(dim, xs.at(0).rank() + 1));
}

SampleInput stack_sample(TensorList xs, std::vector<std::string> tags,
                         int64_t dim) {
  return sample_with(
      std::move(xs), std::move(tags), "dim " + std::to_string(dim),
      [dim](const TensorList& in) { return stack(in, dim); },
      [dim](const TensorList& in) { return stack_ref(read_all(in), dim); });
}

SampleInput pad_sample(Tensor x, std::vector<std::string> tags,
                       std::vector<int64_t> pads, double value) {
  Index shown(pads.begin(), pads.end());
  return sample1(
      std::move(x), std::move(tags),
      "pads " + dims_str(shown) + " value " + std::to_string(value),
      [pads, value](const Tensor& t) { return pad(t, pads, value); },
      [pads, value](const Nd& n) { return pad_nd(n, pads, value); });
}

// The pieces of `x` along dim with the given sizes, reversed and
// concatenated.
Nd reversed_pieces(const Nd& x, const std::vector<int64_t>& sizes,
                   int64_t dim) {
  std::vector<Nd> pieces;
  int64_t start = 0;
  for (int64_t size : sizes) {
    pieces.push_back(slice_nd(x, dim, start, start + size, 1));
    start += size;
  }
  std::reverse(pieces.begin(), pieces.end());
  return cat_nd(pieces, dim);
}

Tensor cat_reversed(std::vector<Tensor> pieces, int64_t dim) {
  std::reverse(pieces.begin(), pieces.end());
  return cat(pieces, dim);
}

// Piece sizes of split(x, size) and chunk(x, chunks) (torch's rules:
// chunk uses pieces of ceil(n / chunks), so there may be fewer of them).
std::vector<int64_t> split_sizes(int64_t n, int64_t size) {
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < n; start += size) {
    sizes.push_back(std::min(size, n - start));
  }
  if (sizes.empty()) sizes.push_back(0);
  return sizes;
}

std::vector<int64_t> chunk_sizes(int64_t n, int64_t chunks) {
  return split_sizes(n, std::max<int64_t>((n + chunks - 1) / chunks, 1));
}

enum class Splitter { kSize, kSizes, kChunk, kUnbind };

Tensor run_split(Splitter kind, const Tensor& t,
                 const std::vector<int64_t>& arg, int64_t dim) {
  switch (kind) {
    case Splitter::kSize:
      return cat_reversed(split(t, arg.at(0), dim), dim);
    case Splitter::kSizes:
      return cat_reversed(split(t, arg, dim), dim);
    case Splitter::kChunk:
      return cat_reversed(chunk(t, arg.at(0), dim), dim);
    case Splitter::kUnbind:
      break;
  }
  std::vector<Tensor> pieces = unbind(t, dim);
  std::reverse(pieces.begin(), pieces.end());
  return stack(pieces, dim);
}

Nd run_split_ref(Splitter kind, const Nd& n, const std::vector<int64_t>& arg,
                 int64_t dim) {
  const int64_t size = n.shape[wrap_dim(dim, n.rank())];
  switch (kind) {
    case Splitter::kSize:
      return reversed_pieces(n, split_sizes(size, arg.at(0)), dim);
    case Splitter::kSizes:
      return reversed_pieces(n, arg, dim);
    case Splitter::kChunk:
      return reversed_pieces(n, chunk_sizes(size, arg.at(0)), dim);
    case Splitter::kUnbind:
      break;
  }
  return reversed_pieces(n, split_sizes(size, 1), dim);
}

SampleInput split_sample(Splitter kind, Tensor x, std::vector<std::string> tags,
                         std::vector<int64_t> arg, int64_t dim) {
  Index shown(arg.begin(), arg.end());
  return sample1(
      std::move(x), std::move(tags),
      "arg " + dims_str(shown) + " dim " + std::to_string(dim),
      [kind, arg, dim](const Tensor& t) {
        return run_split(kind, t, arg, dim);
      },
      [kind, arg, dim](const Nd& n) {
        return run_split_ref(kind, n, arg, dim);
      });
}

OpInfo list_entry(std::string name,
                  std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "shape";
  info.samples = std::move(samples);
  info.dtypes = all_dtypes();
  return info;
}

}  // namespace

void add_shape_ops(std::vector<OpInfo>& db) {
  OpInfo cat_info = list_entry("cat", [](DType d, Generator& g) {
    return Samples{
        cat_sample({make({2, 3}, d, g), make({4, 3}, d, g)}, {"basic"}, 0),
        cat_sample({make({2, 3}, d, g), make({2, 1}, d, g), make({2, 4}, d, g)},
                   {"basic"}, 1),
        cat_sample({make({2, 3, 2}, d, g), make({2, 3, 1}, d, g)}, {"basic"},
                   -1),
        cat_sample({make({3}, d, g)}, {"basic"}, 0),
        cat_sample({make({2, 3}, d, g), make({0, 3}, d, g), make({1, 3}, d, g)},
                   {"zero-size"}, 0),
        cat_sample({make({0, 3}, d, g), make({0, 2}, d, g)}, {"zero-size"}, 1),
        cat_sample({make_noncontig({4, 3}, d, g), make_strided({2, 3}, d, g)},
                   {"noncontig"}, 0),
        cat_sample({make_expanded({2, 3}, d, g), make({2, 2}, d, g)},
                   {"expanded"}, 1),
    };
  });
  cat_info.op = [](const TensorList& in) { return cat(in, 0); };
  cat_info.reference = [](const TensorList& in) {
    return cat_nd(read_all(in), 0);
  };
  cat_info.diff_args = {0, 1, 2};
  cat_info.needs_scalar = false;
  db.push_back(cat_info);

  OpInfo stack_info = list_entry("stack", [](DType d, Generator& g) {
    auto three = [&](const Shape& s) {
      return TensorList{make(s, d, g), make(s, d, g), make(s, d, g)};
    };
    return Samples{
        stack_sample(three({2, 3}), {"basic"}, 0),
        stack_sample(three({2, 3}), {"basic"}, 1),
        stack_sample(three({2, 3}), {"basic"}, -1),
        stack_sample(three({}), {"scalar"}, 0),
        stack_sample(three({0, 3}), {"zero-size"}, 1),
        stack_sample({make_noncontig({4, 3}, d, g), make({4, 3}, d, g)},
                     {"noncontig"}, 2),
    };
  });
  stack_info.op = [](const TensorList& in) { return stack(in, 0); };
  stack_info.reference = [](const TensorList& in) {
    return stack_ref(read_all(in), 0);
  };
  stack_info.diff_args = {0, 1, 2};
  stack_info.impl = Impl::kComposite;
  db.push_back(stack_info);

  OpInfo pad_info = entry1(
      "pad", "shape", Impl::kPrimitive,
      [](const Tensor& t) {
        return pad(t, {1, 1});
      },
      [](const Nd& n) {
        return pad_nd(n, {1, 1}, 0);
      });
  pad_info.samples = [](DType d, Generator& g) {
    const double value = is_floating(d) ? 1.5 : 1.0;
    return Samples{
        pad_sample(make({2, 3}, d, g), {"basic"}, {1, 2}, 0),
        pad_sample(make({2, 3}, d, g), {"basic"}, {1, 1, 2, 0}, value),
        pad_sample(make({2, 3}, d, g), {"basic"}, {-1, 1}, 0),
        pad_sample(make({2, 3, 4}, d, g), {"basic"}, {1, -1, 0, 2}, value),
        pad_sample(make({2, 3, 4}, d, g), {"basic"}, {0, 0, 0, 0, 1, 1}, 0),
        pad_sample(make({3, 4}, d, g), {"basic"}, {-1, -1, -1, 0}, 0),
        pad_sample(make_noncontig({4, 3}, d, g), {"noncontig"}, {2, 1}, value),
        pad_sample(make({0, 3}, d, g), {"zero-size"}, {1, 1}, value),
        pad_sample(make({2, 3}, d, g), {"zero-size"}, {-2, -1}, 0),
        pad_sample(make({}, d, g), {"scalar"}, {}, 0),
    };
  };
  pad_info.dtypes = all_dtypes();
  db.push_back(pad_info);

  struct SplitSpec {
    const char* name;
    Splitter kind;
  };
  for (const SplitSpec& spec : {SplitSpec{"split", Splitter::kSize},
                                SplitSpec{"split.sizes", Splitter::kSizes},
                                SplitSpec{"chunk", Splitter::kChunk},
                                SplitSpec{"unbind", Splitter::kUnbind}}) {
    const Splitter k = spec.kind;
    // Default: pieces of one row along dim 0 (split.sizes: sizes {1, 1}).
    const std::vector<int64_t> arg = k == Splitter::kSizes
                                         ? std::vector<int64_t>{1, 1}
                                         : std::vector<int64_t>{1};
    OpInfo info = entry1(
        spec.name, "shape", Impl::kComposite,
        [k, arg](const Tensor& t) { return run_split(k, t, arg, 0); },
        [k, arg](const Nd& n) { return run_split_ref(k, n, arg, 0); });
    info.samples = [k](DType d, Generator& g) {
      auto s = [&](Tensor x, std::vector<std::string> tags,
                   std::vector<int64_t> arg, int64_t dim) {
        return split_sample(k, std::move(x), std::move(tags), std::move(arg),
                            dim);
      };
      switch (k) {
        case Splitter::kSize:
          return Samples{
              s(make({5, 4}, d, g), {"basic"}, {2}, 0),
              s(make({3, 7}, d, g), {"basic"}, {3}, 1),
              s(make({3, 4}, d, g), {"basic"}, {4}, -1),
              s(make({3, 4}, d, g), {"basic"}, {10}, 0),
              s(make_noncontig({4, 5}, d, g), {"noncontig"}, {2}, 1),
              s(make({0, 4}, d, g), {"zero-size"}, {2}, 1),
          };
        case Splitter::kSizes:
          return Samples{
              s(make({6, 4}, d, g), {"basic"}, {1, 3, 2}, 0),
              s(make({3, 5}, d, g), {"zero-size"}, {2, 0, 3}, 1),
              s(make_noncontig({4, 5}, d, g), {"noncontig"}, {4, 1}, -1),
          };
        case Splitter::kChunk:
          return Samples{
              s(make({5, 4}, d, g), {"basic"}, {2}, 0),
              s(make({6, 3}, d, g), {"basic"}, {3}, 0),
              s(make({3, 7}, d, g), {"basic"}, {4}, 1),
              s(make({5, 2}, d, g), {"basic"}, {4}, 0),
              s(make_noncontig({4, 5}, d, g), {"noncontig"}, {2}, 1),
              s(make({0, 4}, d, g), {"zero-size"}, {2}, 1),
          };
        case Splitter::kUnbind:
          return Samples{
              s(make({3, 4}, d, g), {"basic"}, {}, 0),
              s(make({3, 4}, d, g), {"basic"}, {}, 1),
              s(make({2, 3, 4}, d, g), {"basic"}, {}, -1),
              s(make_noncontig({4, 3}, d, g), {"noncontig"}, {}, 0),
              s(make({0, 3}, d, g), {"zero-size"}, {}, 1),
              s(make({3}, d, g), {"scalar"}, {}, 0),
          };
      }
      return Samples{};
    };
    info.dtypes = all_dtypes();
    info.needs_scalar = k == Splitter::kUnbind;
    db.push_back(info);
  }
}

}  // namespace fnx::opinfo
