// Per-example gradients of a linear model's squared error, from a Bazel
// workspace that depends on fnx (see WORKSPACE and .bazelrc). Exits
// non-zero when a value is wrong.
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/ops/ops.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

int main() {
  using namespace fnx;
  const Tensor w =
      from_vector(std::vector<double>{0.5, -1.0, 2.0}, {3}, DType::Float64);
  const Tensor xs =
      from_vector(std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1},
                  {4, 3}, DType::Float64);
  const Tensor ys =
      from_vector(std::vector<double>{1, 1, 1, 1}, {4}, DType::Float64);
  auto loss = [](const Tensor& w, const Tensor& x, const Tensor& y) {
    const Tensor err = (w * x).sum() - y;
    return err * err;
  };
  const Tensor g = vmap(grad(loss), {none, 0, 0})(w, xs, ys);
  std::printf("per-example gradients %s\n", g.str().c_str());
  const std::vector<double> got = g.to_vector();
  const std::vector<double> want = {-1, 0, 0, 0, -4, 0, 0, 0, 2, 1, 1, 1};
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::abs(got[i] - want[i]) > 1e-12) {
      std::printf("wrong gradient at %zu\n", i);
      return 1;
    }
  }
  std::printf("ok\n");
  return 0;
}
