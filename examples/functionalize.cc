// functionalize: in-place code under grad, vmap and jacrev, in C++.
//
// Mirrors torch.func.functionalize's documentation and the functorch
// "functionalize" tutorial
// (https://pytorch.org/docs/stable/generated/torch.func.functionalize.html):
// functionalize(f) runs f with its in-place ops (and, optionally, its views)
// turned into pure ops, so transforms below it only see pure code. Shown:
//   1. the docs' example (a write through a view): same result as f;
//   2. mutated inputs are written back once, at the end;
//   3. vmap of a function that writes per-example values into a buffer it
//      made: plain vmap refuses, vmap(functionalize(f)) works;
//   4. grad and jacrev through writes into views of such a buffer;
//   5. remove = mutations_and_views.
// Every result is checked against the plain (non-functionalized) function,
// run per example in a loop where a transform refuses it.
//
// Run: bazel run //examples:functionalize
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "examples/check.h"
#include "fnx.h"

using namespace fnx;
using fnx_examples::check;

namespace {

// The first line of an error message.
std::string first_line(const std::string& message) {
  return message.substr(0, message.find('\n'));
}

// 1. The torch docs' example: b is written through a view c of it.
Tensor docs_example(const Tensor& a) {
  Tensor b = a + 1.0;
  Tensor c = b.view({-1});
  c.add_(1.0);  // changes b too
  return b;
}

// 2. Writes into its argument (take tensor arguments by value or const
// reference: the handle refers to the caller's tensor either way).
Tensor mutate_input(Tensor x) {
  Tensor y = x.clone();
  y.slice(0, 1, 3).mul_(2.0);  // in place, through a view of y
  x.add_(1.0);                 // mutates the caller's x
  return y;
}

// 3. Builds a buffer from constants and writes per-example values into it:
// the total, then the first two entries scaled. Written for ONE example.
Tensor fill_buffer(const Tensor& x) {
  Tensor buf = zeros({3}, x.dtype());
  buf.select(0, 0).copy_(x.sum());
  buf.slice(0, 1, 3).copy_(x.slice(0, 0, 2));
  buf.slice(0, 1, 3).mul_(x.slice(0, 2, 4));
  return buf;
}

// 4. A scalar loss computed through writes into views of a constant buffer.
Tensor buffer_loss(const Tensor& w) {
  Tensor buf = zeros({2, 4}, w.dtype());
  buf.select(0, 0).copy_(w * w);
  buf.select(0, 1).copy_(sin(w));
  return buf.sum();
}

}  // namespace

int main() {
  Generator gen(0);
  const DType f64 = DType::Float64;
  bool ok = true;

  std::cout << "1. The docs' example: b = a + 1; b.view(-1).add_(1)\n";
  const Tensor a = randn({2, 3}, f64, &gen);
  ok &= check("functionalize(f)(a) vs f(a)", functionalize(docs_example)(a),
              docs_example(a));
  // Under grad: d/da sum(b) = 1 everywhere, with or without functionalize.
  auto docs_loss = [](const Tensor& x) { return docs_example(x).sum(); };
  ok &= check("grad(functionalize(f)) vs grad(f)",
              grad(functionalize(docs_loss))(a), grad(docs_loss)(a));

  std::cout << "2. Mutated inputs are written back\n";
  const Tensor x0 = randn({4}, f64, &gen);
  Tensor x_plain = x0.clone();
  Tensor x_func = x0.clone();
  const Tensor y_plain = mutate_input(x_plain);
  const Tensor y_func = functionalize(mutate_input)(x_func);
  ok &= check("output vs plain f", y_func, y_plain);
  ok &= check("the caller's x after the call vs plain f", x_func, x_plain);
  ok &= check("x was incremented", x_func, x0 + 1.0);

  std::cout << "3. vmap over a function that fills a buffer it made\n";
  const Tensor xs = randn({5, 4}, f64, &gen);
  try {
    vmap(fill_buffer)(xs);
    std::cout << "  plain vmap(fill_buffer) ran (no error)\n";
  } catch (const Error& e) {
    // The buffer is one unbatched tensor; a per-example value cannot be
    // written into it. The message points at functionalize.
    std::cout << "  plain vmap refuses: " << first_line(e.what()) << "\n";
  }
  const Tensor bufs = vmap(functionalize(fill_buffer))(xs);
  std::vector<Tensor> loop;
  for (int64_t i = 0; i < xs.size(0); ++i) loop.push_back(fill_buffer(xs[i]));
  std::cout << "  vmap(functionalize(fill_buffer)) gives "
            << shape_str(bufs.shape()) << "\n";
  ok &= check("vmap(functionalize(f)) vs loop of plain f", bufs, stack(loop));

  std::cout << "4. grad and jacrev through writes into a constant buffer\n";
  const Tensor w = randn({4}, f64, &gen);
  try {
    grad(buffer_loss)(w);
    std::cout << "  plain grad(buffer_loss) ran (no error)\n";
  } catch (const Error& e) {
    std::cout << "  plain grad refuses: " << first_line(e.what()) << "\n";
  }
  // The same loss without writes, and its gradient by hand: 2w + cos(w).
  auto pure_loss = [](const Tensor& v) { return (v * v).sum() + sin(v).sum(); };
  const Tensor g = grad(functionalize(buffer_loss))(w);
  ok &= check("loss value vs plain f", functionalize(buffer_loss)(w),
              buffer_loss(w));
  ok &= check("grad(functionalize(f)) vs grad of the pure version", g,
              grad(pure_loss)(w));
  ok &= check("grad(functionalize(f)) vs 2w + cos(w)", g, 2.0 * w + cos(w));
  // Per-example gradients: vmap over grad over functionalize.
  const Tensor ws = randn({3, 4}, f64, &gen);
  ok &= check("vmap(grad(functionalize(f))) vs 2w + cos(w)",
              vmap(grad(functionalize(buffer_loss)))(ws), 2.0 * ws + cos(ws));
  // The Jacobian of fill_buffer, against central finite differences of the
  // plain function.
  const Tensor x1 = xs[0];
  const Tensor jac = jacrev(functionalize(fill_buffer))(x1);
  const Tensor basis = eye(4, f64);
  std::vector<Tensor> columns;
  constexpr double kH = 1e-6;
  for (int64_t j = 0; j < 4; ++j) {
    columns.push_back(
        (fill_buffer(x1 + basis[j] * kH) - fill_buffer(x1 - basis[j] * kH)) /
        (2 * kH));
  }
  ok &= check("jacrev(functionalize(f)) vs finite differences of f", jac,
              stack(columns, 1), 1e-8);
  ok &= check("jacfwd(functionalize(f)) vs jacrev",
              jacfwd(functionalize(fill_buffer))(x1), jac);

  std::cout << "5. remove = mutations_and_views (views become copies too)\n";
  auto no_views =
      functionalize(fill_buffer, {.remove = Remove::mutations_and_views});
  ok &= check("vmap(functionalize(f, mutations_and_views)) vs loop",
              vmap(no_views)(xs), stack(loop));

  if (!ok) return 1;
  std::cout << "OK: functionalized code matches the plain code\n";
  return 0;
}
