// Every collective x {plain, grad, jvp, vmap inside, grad(vmap)} on this
// rank equals its one-process simulation over the stacked inputs of all
// ranks (collective_cases.h). Runs as one process (bazel test) and as two
// ranks under mpirun (collectives_2ranks_test), where every rank checks
// its own row.
#include <tuple>

#include "core/generator.h"
#include "gtest/gtest.h"
#include "tests/distributed/collective_cases.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/functionalize/functionalize.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using dist_test::collective_cases;
using dist_test::CollectiveCase;
using testing::close;

constexpr double kTol = 1e-12;

// The same numbers on every rank: the stacked inputs of all ranks.
Tensor stacked(const Shape& per_rank, uint64_t seed) {
  Generator gen(seed);
  Shape shape = per_rank;
  shape.insert(shape.begin(), dist::size());
  return randn(shape, DType::Float64, &gen);
}

Tensor mine(const Tensor& stacked_values) {
  return select(stacked_values, 0, dist::rank());
}

class Collectives : public ::testing::Test {
 protected:
  std::vector<CollectiveCase> cases = collective_cases(dist::world());
};

TEST_F(Collectives, Plain) {
  const Tensor X = stacked({4, 6}, 1);
  for (const CollectiveCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(close(c.on_rank(mine(X)), mine(c.simulated(X)), kTol, kTol));
  }
}

// The loss of the whole program is the sum over ranks of each rank's
// weighted sum: grad on a rank gives that loss's gradient in its x.
TEST_F(Collectives, Grad) {
  const Tensor X = stacked({4, 6}, 2);
  for (const CollectiveCase& c : cases) {
    SCOPED_TRACE(c.name);
    Generator same(100);  // the same weights on every rank
    const Tensor W = randn(c.simulated(X).shape(), DType::Float64, &same);
    const Tensor w = mine(W);
    const Tensor got = grad(
        [&](const Tensor& x) { return (c.on_rank(x) * w).sum(); })(mine(X));
    const Tensor expected =
        grad([&](const Tensor& Xs) { return (c.simulated(Xs) * W).sum(); })(X);
    EXPECT_TRUE(close(got, mine(expected), kTol, kTol));
  }
}

TEST_F(Collectives, Jvp) {
  const Tensor X = stacked({4, 6}, 3), T = stacked({4, 6}, 4);
  for (const CollectiveCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto [y, ty] = jvp(c.on_rank, mine(X), mine(T));
    auto [Y, TY] = jvp(c.simulated, X, T);
    EXPECT_TRUE(close(y, mine(Y), kTol, kTol));
    EXPECT_TRUE(close(ty, mine(TY), kTol, kTol));
  }
}

// vmap over 3 examples inside each rank: one collective moves the batch.
TEST_F(Collectives, VmapInside) {
  const Tensor X = stacked({3, 4, 6}, 5);
  for (const CollectiveCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Tensor got = vmap(c.on_rank)(mine(X));
    const Tensor expected = vmap(c.simulated, 1, 1)(X);
    EXPECT_TRUE(close(got, mine(expected), kTol, kTol));
  }
}

TEST_F(Collectives, GradOfVmap) {
  const Tensor X = stacked({3, 4, 6}, 6);
  for (const CollectiveCase& c : cases) {
    SCOPED_TRACE(c.name);
    Generator same(101);
    const Tensor W =
        randn(vmap(c.simulated, 1, 1)(X).shape(), DType::Float64, &same);
    const Tensor w = mine(W);
    const Tensor got = grad([&](const Tensor& x) {
      return (vmap(c.on_rank)(x) * w).sum();
    })(mine(X));
    const Tensor expected = grad([&](const Tensor& Xs) {
      return (vmap(c.simulated, 1, 1)(Xs) * W).sum();
    })(X);
    EXPECT_TRUE(close(got, mine(expected), kTol, kTol));
  }
}

// vmap of grad: per-example gradients through a collective.
TEST_F(Collectives, VmapOfGrad) {
  const Tensor X = stacked({3, 4, 6}, 7);
  for (const CollectiveCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto per_example = [&](const Tensor& x) {
      return grad([&](const Tensor& e) { return sin(c.on_rank(e)).sum(); })(x);
    };
    auto simulated_per_example = [&](const Tensor& Xs) {
      return grad([&](const Tensor& e) { return sin(c.simulated(e)).sum(); })(
          Xs);
    };
    EXPECT_TRUE(close(vmap(per_example)(mine(X)),
                      mine(vmap(simulated_per_example, 1, 1)(X)), kTol, kTol));
  }
}

// In-place writes around a collective, functionalized: the collective is
// pure to functionalize, and the result is the same as run eagerly.
TEST_F(Collectives, Functionalized) {
  const Tensor X = stacked({4, 6}, 8);
  for (const CollectiveCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto f = [&](const Tensor& x) {
      Tensor buffer = zeros_like(x);
      buffer.add_(x);
      buffer.mul_(2.0);
      return c.on_rank(buffer);
    };
    EXPECT_TRUE(close(functionalize(f)(mine(X)), mine(c.simulated(X * 2.0)),
                      kTol, kTol));
  }
}

TEST(Dist, WorldMatchesTheLaunch) {
  EXPECT_EQ(dist::size(), dist::launched_by_mpirun() ? 2 : 1);
  EXPECT_GE(dist::rank(), 0);
  EXPECT_LT(dist::rank(), dist::size());
}

TEST(Dist, SplitMakesOneGroupPerRank) {
  const dist::Group alone = dist::split(dist::world(), dist::rank());
  EXPECT_EQ(alone->size(), 1);
  EXPECT_EQ(alone->rank(), 0);
  const Tensor x = from_vector({1.0 + dist::rank(), 2.0}, {2}, DType::Float64);
  EXPECT_TRUE(close(dist::all_reduce(x, alone), x, 0, 0));
  const dist::Group everyone = dist::split(dist::world(), 0, -dist::rank());
  EXPECT_EQ(everyone->size(), dist::size());
  EXPECT_EQ(everyone->rank(), dist::size() - 1 - dist::rank());  // by key
}

TEST(Dist, ShapeRulesNameTheProblem) {
  const Tensor odd = zeros({3}, DType::Float64);
  if (dist::size() == 2) {
    EXPECT_TRUE(testing::throws_with([&] { dist::reduce_scatter(odd); },
                                     "must split evenly over 2 ranks"));
  }
  EXPECT_TRUE(testing::throws_with(
      [&] { dist::broadcast(odd, dist::world(), 7); }, "root 7"));
  EXPECT_TRUE(testing::throws_with(
      [&] {
        dist::all_reduce(zeros({2}, DType::Int64), dist::world(),
                         ReduceOp::Mean);
      },
      "mean needs a floating-point tensor"));
  EXPECT_TRUE(testing::throws_with(
      [&] {
        dist::ppermute(odd, dist::world(), {{0, 0}, {0, 0}});
      },
      "appears twice"));
}

}  // namespace
}  // namespace fnx
