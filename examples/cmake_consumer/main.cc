// Per-example gradients of a linear model's squared error, and its
// Jacobian, from a program built against an installed fnx (CMake or
// pkg-config). Exits non-zero when a value is wrong.
#include <cmath>
#include <cstdio>
#include <vector>

#include "fnx.h"

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
  // d/dw (w.x - y)^2 = 2 (w.x - y) x, one row per example.
  const Tensor per_example = vmap(grad(loss), {none, 0, 0})(w, xs, ys);
  const Tensor jac = jacrev([](const Tensor& v) { return sin(v); })(w);

  std::printf("per-example gradients %s\n", per_example.str().c_str());
  const std::vector<double> got = per_example.to_vector();
  const std::vector<double> want = {-1, 0, 0, 0, -4, 0, 0, 0, 2, 1, 1, 1};
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::abs(got[i] - want[i]) > 1e-12) {
      std::printf("wrong gradient at %zu: %g, expected %g\n", i, got[i],
                  want[i]);
      return 1;
    }
  }
  if (std::abs(jac.at<double>({1, 1}) - std::cos(-1.0)) > 1e-12) {
    std::printf("wrong Jacobian\n");
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
