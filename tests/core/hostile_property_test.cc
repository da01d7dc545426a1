// Hostile-input property test: every op parameter that is a shape, a dim,
// an index, a size, a step, a padding or a transform's dim takes each
// extreme value (0, 1, -1, INT64_MAX, INT64_MIN, 2^31, 2^32, 2^62), plainly
// and under vmap, grad and jvp. Every call must end in a value or an
// fnx::Error: never another exception, a crash, a hang or (under
// --config=asan) a memory error.
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

const std::vector<int64_t>& extremes() {
  static const std::vector<int64_t> v = {0,
                                         1,
                                         -1,
                                         INT64_MAX,
                                         INT64_MIN,
                                         int64_t{1} << 31,
                                         int64_t{1} << 32,
                                         int64_t{1} << 62};
  return v;
}

// A size that would be real multi-GiB work (legal, but not what this test
// is for): skipped where the parameter is a size the op would fill (or, for
// expand, that grad would sum).
bool allocates_gigabytes(int64_t v) {
  return v == (int64_t{1} << 31) || v == (int64_t{1} << 32);
}

struct HostileOp {
  std::string name;
  // The op with the hostile value in one parameter, applied to x (a 2-D
  // float64 tensor, possibly a transform's wrapper); returns a tensor.
  std::function<Tensor(const Tensor& x, int64_t v)> fn;
  bool fills_size = false;
};

Tensor idx(int64_t v) { return from_vector(std::vector<int64_t>{v}, {1}); }

std::vector<HostileOp> hostile_ops() {
  using T = const Tensor&;
  return {
      {"sum(dim)", [](T x, int64_t v) { return x.sum({v}); }},
      {"amax(dim)", [](T x, int64_t v) { return amax(x, {v}); }},
      {"argmax(dim)", [](T x, int64_t v) { return argmax(x, v); }},
      {"softmax(dim)", [](T x, int64_t v) { return softmax(x, v); }},
      {"log_softmax(dim)", [](T x, int64_t v) { return log_softmax(x, v); }},
      {"mean(dim)", [](T x, int64_t v) { return mean(x, {v}); }},
      {"var(correction)", [](T x, int64_t v) { return var(x, {0}, v); }},
      {"reshape(v,-1)",
       [](T x, int64_t v) {
         return x.reshape({v, -1});
       }},
      {"reshape(v)", [](T x, int64_t v) { return x.reshape({v}); }},
      {"expand(v,..)",
       [](T x, int64_t v) {
         return x.reshape({1, 12}).expand({v, 12});
       },
       true},
      {"permute",
       [](T x, int64_t v) {
         return permute(x, {v, 0});
       }},
      {"transpose", [](T x, int64_t v) { return transpose(x, v, 0); }},
      {"movedim", [](T x, int64_t v) { return movedim(x, 0, v); }},
      {"unsqueeze", [](T x, int64_t v) { return unsqueeze(x, v); }},
      {"squeeze", [](T x, int64_t v) { return squeeze(x, v); }},
      {"select(index)", [](T x, int64_t v) { return select(x, 0, v); }},
      {"select(dim)", [](T x, int64_t v) { return select(x, v, 0); }},
      {"narrow(start)", [](T x, int64_t v) { return narrow(x, 1, v, 1); }},
      {"narrow(length)", [](T x, int64_t v) { return narrow(x, 1, 1, v); }},
      {"slice(start)", [](T x, int64_t v) { return slice(x, 1, v, 4, 1); }},
      {"slice(stop)", [](T x, int64_t v) { return slice(x, 1, 0, v, 1); }},
      {"slice(step)", [](T x, int64_t v) { return slice(x, 1, 0, 4, v); }},
      {"flatten", [](T x, int64_t v) { return flatten(x, v, -1); }},
      {"split", [](T x, int64_t v) { return split(x, v, 1).at(0); }},
      {"chunk", [](T x, int64_t v) { return chunk(x, v, 1).at(0); }},
      {"cat(dim)",
       [](T x, int64_t v) {
         return cat({x, x}, v);
       }},
      {"stack(dim)",
       [](T x, int64_t v) {
         return stack({x, x}, v);
       }},
      {"pad(lo)",
       [](T x, int64_t v) {
         return pad(x, {v, 0});
       }},
      {"pad(hi)",
       [](T x, int64_t v) {
         return pad(x, {0, v});
       }},
      {"index_select(index)",
       [](T x, int64_t v) { return index_select(x, 1, idx(v)); }},
      {"index_select(dim)",
       [](T x, int64_t v) { return index_select(x, v, idx(0)); }},
      {"gather(index)",
       [](T x, int64_t v) {
         return gather(x, 1, expand(idx(v).reshape({1, 1}), {3, 1}));
       }},
      {"index_add(index)",
       [](T x, int64_t v) {
         return index_add(x, 0, idx(v), ones({1, 4}, DType::Float64));
       }},
      {"scatter_add(index)",
       [](T x, int64_t v) {
         return scatter_add(x, 1, expand(idx(v).reshape({1, 1}), {3, 1}),
                            ones({3, 1}, DType::Float64));
       }},
      {"one_hot(classes)",
       [](T x, int64_t v) {
         return one_hot(argmax(x, 1), v).to(DType::Float64) + 0.0 * x.sum();
       },
       true},
      {"embedding(index)", [](T x, int64_t v) { return embedding(x, idx(v)); }},
      {"unfold(kernel)",
       [](T x, int64_t v) {
         return unfold(x.reshape({1, 1, 3, 4}), {.kernel = {v, 1}});
       }},
      {"unfold(stride)",
       [](T x, int64_t v) {
         return unfold(x.reshape({1, 1, 3, 4}),
                       {.kernel = {1, 1}, .stride = {v, 1}});
       }},
      {"unfold(padding)",
       [](T x, int64_t v) {
         return unfold(x.reshape({1, 1, 3, 4}),
                       {.kernel = {1, 1}, .padding = {v, 0}});
       }},
      {"unfold(dilation)",
       [](T x, int64_t v) {
         return unfold(x.reshape({1, 1, 3, 4}),
                       {.kernel = {2, 1}, .dilation = {v, 1}});
       }},
      {"max_pool2d(kernel)",
       [](T x, int64_t v) {
         return max_pool2d(x.reshape({1, 1, 3, 4}), {.kernel = {v, v}});
       }},
      {"avg_pool2d(padding)",
       [](T x, int64_t v) {
         return avg_pool2d(x.reshape({1, 1, 3, 4}),
                           {.kernel = {2, 2}, .padding = {v, v}});
       }},
      {"conv2d(stride)",
       [](T x, int64_t v) {
         return conv2d(x.reshape({1, 1, 3, 4}),
                       ones({1, 1, 2, 2}, DType::Float64), {},
                       {.stride = {v, 1}});
       }},
      {"conv2d(padding)",
       [](T x, int64_t v) {
         return conv2d(x.reshape({1, 1, 3, 4}),
                       ones({1, 1, 2, 2}, DType::Float64), {},
                       {.padding = {v, 0}});
       }},
      {"conv2d(dilation)",
       [](T x, int64_t v) {
         return conv2d(x.reshape({1, 1, 3, 4}),
                       ones({1, 1, 2, 2}, DType::Float64), {},
                       {.dilation = {v, 1}});
       }},
      {"conv2d(groups)",
       [](T x, int64_t v) {
         return conv2d(x.reshape({1, 1, 3, 4}),
                       ones({1, 1, 2, 2}, DType::Float64), {}, {.groups = v});
       }},
      {"zeros(v)",
       [](T x, int64_t v) { return zeros({v}, DType::Float64) + x.sum(); },
       true},
      {"full(v, 2)",
       [](T x, int64_t v) {
         return full({v, 2}, 1.0, DType::Float64) + x.sum();
       },
       true},
      {"arange(v)",
       [](T x, int64_t v) { return arange(v).to(DType::Float64) + x.sum(); },
       true},
      {"rand(v)",
       [](T x, int64_t v) { return rand({v}, DType::Float64) + x.sum(); },
       true},
      {"eye(v)",
       [](T x, int64_t v) { return eye(v, DType::Float64) + x.sum(); }, true},
      {"linspace(steps)",
       [](T x, int64_t v) {
         return linspace(0, 1, v, DType::Float64) + x.sum();
       },
       true},
  };
}

// Runs fn; true when it ended in a value or an fnx::Error, otherwise adds
// a failure naming the case.
void expect_value_or_error(const std::string& what,
                           const std::function<void()>& fn) {
  if (std::getenv("FNX_HOSTILE_VERBOSE") != nullptr) {
    std::fprintf(stderr, "%s\n", what.c_str());
  }
  try {
    fn();
  } catch (const Error&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw " << typeid(e).name() << ": " << e.what();
  }
}

Tensor input() {
  return arange(12, DType::Float64).reshape({3, 4}) * 0.25 + 0.5;
}

TEST(HostileProperty, EveryOpAndTransformEndsInAValueOrAnError) {
  int cases = 0;
  for (const HostileOp& op : hostile_ops()) {
    for (int64_t v : extremes()) {
      if (op.fills_size && allocates_gigabytes(v)) continue;
      const std::string what = op.name + " with " + std::to_string(v);
      const Tensor x = input();
      expect_value_or_error(what, [&] { op.fn(x, v); });
      expect_value_or_error("vmap " + what, [&] {
        vmap(
            [&](const Tensor& xi) {
              return op.fn(xi.reshape({3, 4}), v);
            },
            0, 0, {.randomness = Randomness::different})(
            stack({x.reshape({12}), x.reshape({12})}, 0));
      });
      expect_value_or_error("grad " + what, [&] {
        grad([&](const Tensor& xi) {
          return op.fn(xi, v).to(DType::Float64).sum();
        })(x);
      });
      expect_value_or_error("jvp " + what, [&] {
        jvp([&](const Tensor& xi) { return op.fn(xi, v); }, x, ones_like(x));
      });
      cases += 4;
    }
  }
  EXPECT_GT(cases, 1500);
}

TEST(HostileProperty, TransformDimsAndSizes) {
  const Tensor x = input();
  auto f = [](const Tensor& t) { return t * 2.0; };
  for (int64_t v : extremes()) {
    const std::string s = std::to_string(v);
    expect_value_or_error("vmap in_dims " + s, [&] { vmap(f, v)(x); });
    expect_value_or_error("vmap out_dims " + s, [&] { vmap(f, 0, v)(x); });
    expect_value_or_error("vmap chunk_size " + s,
                          [&] { vmap(f, 0, 0, {.chunk_size = v})(x); });
    expect_value_or_error("vmap axis_size " + s, [&] {
      vmap([](const Tensor& t) { return t; }, none, 0, {.axis_size = v})(x);
    });
    expect_value_or_error("jacrev chunk_size " + s,
                          [&] { jacrev(f, {.chunk_size = v})(x); });
  }
}

}  // namespace
}  // namespace fnx
