// Linear-algebra composites: shape-checked front ends over the Matmul
// primitive (so they hit BLAS / cuBLAS), plus outer, linear and one_hot.
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

Tensor dot(const Tensor& a, const Tensor& b) {
  FNX_CHECK(a.dim() == 1 && b.dim() == 1, "dot",
            "expected two 1-D tensors, got shapes ", shape_str(a.shape()),
            " and ", shape_str(b.shape()),
            "; use vmap(dot) to batch it, or matmul");
  FNX_CHECK(a.shape()[0] == b.shape()[0], "dot",
            "expected two 1-D tensors of the same length, got shapes ",
            shape_str(a.shape()), " and ", shape_str(b.shape()));
  return matmul(a, b);
}

Tensor mv(const Tensor& m, const Tensor& v) {
  FNX_CHECK(m.dim() == 2 && v.dim() == 1, "mv",
            "expected a 2-D matrix and a 1-D vector, got shapes ",
            shape_str(m.shape()), " and ", shape_str(v.shape()),
            "; use matmul for batched operands");
  FNX_CHECK(m.shape()[1] == v.shape()[0], "mv", "matrix of shape ",
            shape_str(m.shape()), " cannot multiply a vector of shape ",
            shape_str(v.shape()), " (", m.shape()[1], " != ", v.shape()[0],
            ")");
  return matmul(m, v);
}

Tensor mm(const Tensor& a, const Tensor& b) {
  FNX_CHECK(a.dim() == 2 && b.dim() == 2, "mm",
            "expected two 2-D tensors, got shapes ", shape_str(a.shape()),
            " and ", shape_str(b.shape()),
            "; use bmm or matmul for batched operands");
  FNX_CHECK(a.shape()[1] == b.shape()[0], "mm", "shapes ", shape_str(a.shape()),
            " and ", shape_str(b.shape()), " cannot be multiplied (",
            a.shape()[1], " != ", b.shape()[0], ")");
  return matmul(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  FNX_CHECK(a.dim() == 3 && b.dim() == 3, "bmm",
            "expected two 3-D tensors, got shapes ", shape_str(a.shape()),
            " and ", shape_str(b.shape()),
            "; use matmul for other ranks or broadcasting batches");
  FNX_CHECK(a.shape()[0] == b.shape()[0], "bmm", "batch sizes differ: shapes ",
            shape_str(a.shape()), " and ", shape_str(b.shape()), " (",
            a.shape()[0], " != ", b.shape()[0],
            "); use matmul to broadcast batches");
  FNX_CHECK(a.shape()[2] == b.shape()[1], "bmm", "shapes ",
            shape_str(a.shape()), " and ", shape_str(b.shape()),
            " cannot be multiplied (", a.shape()[2], " != ", b.shape()[1], ")");
  return matmul(a, b);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  FNX_CHECK(a.dim() == 1 && b.dim() == 1, "outer",
            "expected two 1-D tensors, got shapes ", shape_str(a.shape()),
            " and ", shape_str(b.shape()), "; use vmap(outer) to batch it");
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}

// y = x W^T + b with W (out, in) (or W (in): y drops the feature dim, as
// torch's F.linear).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  FNX_CHECK(x.defined() && weight.defined(), "linear",
            "input and weight must be defined tensors");
  FNX_CHECK(x.dim() >= 1, "linear",
            "input must have at least 1 dim, got "
            "shape ",
            shape_str(x.shape()));
  FNX_CHECK(weight.dim() == 1 || weight.dim() == 2, "linear",
            "weight must be 2-D (out_features, in_features), got shape ",
            shape_str(weight.shape()));
  FNX_CHECK(x.shape().back() == weight.shape().back(), "linear",
            "input of "
            "shape ",
            shape_str(x.shape()), " has ", x.shape().back(),
            " features but weight of shape ", shape_str(weight.shape()),
            " expects ", weight.shape().back());
  Tensor y = weight.dim() == 2 ? matmul(x, transpose(weight, 0, 1))
                               : matmul(x, weight);
  if (!bias.defined()) return y;
  // The bias broadcasts to y's shape (typically (out_features)).
  bool fits = bias.dim() <= y.dim();
  for (int64_t i = 1; fits && i <= bias.dim(); ++i) {
    const int64_t b = bias.shape()[bias.dim() - i];
    fits = b == 1 || b == y.shape()[y.dim() - i];
  }
  FNX_CHECK(fits, "linear", "bias of shape ", shape_str(bias.shape()),
            " does not broadcast to the output shape ", shape_str(y.shape()),
            " (weight ", shape_str(weight.shape()), ")");
  return add(y, bias);
}

// Class ids of a dense index are range-checked here (a host read); under a
// transform the ids are not concrete and out-of-range ids give all-zero
// rows.
Tensor one_hot(const Tensor& index, int64_t num_classes, DType dtype) {
  FNX_CHECK(index.dtype() == DType::Int64 || index.dtype() == DType::Int32,
            "one_hot", "index must be an integer tensor, got ",
            std::string(dtype_name(index.dtype())), " of shape ",
            shape_str(index.shape()));
  FNX_CHECK(num_classes >= 0, "one_hot",
            "num_classes must be "
            "non-negative, got ",
            num_classes);
  if (!index.is_wrapper()) {
    for (double v : index.to_vector()) {
      FNX_CHECK(v >= 0 && v < static_cast<double>(num_classes), "one_hot",
                "class id ", static_cast<int64_t>(v), " is out of range for ",
                num_classes, " classes (expected ids in [0, ", num_classes,
                "))");
    }
  }
  Tensor classes = arange(num_classes, index.dtype(), index.device());
  return cast(eq(unsqueeze(index, -1), classes), dtype);
}

}  // namespace fnx
