// Binary elementwise ops (broadcasting), comparisons and logical ops, the
// scalar-operand operators, where and cast.
#include <cmath>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

struct BinarySpec {
  std::string name;
  std::function<Tensor(const Tensor&, const Tensor&)> fn;
  std::function<double(double, double)> ref;
  Domain domain_a = Domain::kAny, domain_b = Domain::kAny;
  std::vector<DType> dtypes;
  std::string family = "binary";
  bool bool_result = false;
  bool differentiable = true;
  bool float_result = false;  // integer operands give float32 (div)
};

// The result dtype of an elementwise op on these operand dtypes.
DType result_dtype(DType promoted, bool bool_result, bool float_result) {
  if (bool_result) return kBool;
  if (float_result && !is_floating(promoted)) return kF32;
  return promoted;
}

// The dtype a "promote" sample pairs with `dtype`.
DType partner(DType dtype) {
  switch (dtype) {
    case kF32:
      return kF64;
    case kF64:
      return kF32;
    case kI32:
      return kI64;
    case kI64:
      return kF32;
    case kBool:
      return kI32;
  }
  return dtype;
}

std::vector<SampleInput> binary_samples(DType dtype, Generator& gen, Domain da,
                                        Domain db, bool with_ties) {
  auto a = [&](const Shape& s) { return make(s, dtype, gen, da); };
  auto b = [&](const Shape& s) { return make(s, dtype, gen, db); };
  std::vector<SampleInput> v;
  v.push_back(sample({a({3, 4}), b({3, 4})}, {"basic"}));
  v.push_back(sample({a({3, 4}), b({4})}, {"broadcast"}, "{3,4} op {4}"));
  v.push_back(sample({a({3, 1}), b({1, 4})}, {"broadcast"}, "{3,1} op {1,4}"));
  v.push_back(
      sample({a({2, 3, 4}), b({3, 1})}, {"broadcast"}, "{2,3,4} op {3,1}"));
  v.push_back(sample({a({}), b({3, 4})}, {"scalar", "broadcast"}, "0-d lhs"));
  v.push_back(sample({a({3, 4}), b({})}, {"scalar", "broadcast"}, "0-d rhs"));
  v.push_back(sample({a({}), b({})}, {"scalar"}, "both 0-d"));
  v.push_back(sample({make_noncontig({4, 3}, dtype, gen, da),
                      make_strided({4, 3}, dtype, gen, db)},
                     {"noncontig"}, "transposed op step-sliced"));
  v.push_back(sample({a({4, 3}), make_noncontig({3}, dtype, gen, db)},
                     {"noncontig", "broadcast"}, "rhs step-2 slice"));
  v.push_back(
      sample({make_expanded({3, 4}, dtype, gen, da), b({3, 4})}, {"expanded"}));
  v.push_back(sample({a({0, 3}), b({3})}, {"zero-size", "broadcast"}));
  v.push_back(sample({a({0, 3}), b({0, 3})}, {"zero-size"}));
  v.push_back(
      sample({a({3, 4}), make({3, 4}, partner(dtype), gen, db)}, {"promote"},
             std::string("rhs ") + std::string(dtype_name(partner(dtype)))));
  if (with_ties) {
    v.push_back(sample({make({3, 4}, dtype, gen, Domain::kSmallInt),
                        make({3, 4}, dtype, gen, Domain::kSmallInt)},
                       {"ties"}, "small integers: many equal pairs"));
  }
  return v;
}

OpInfo binary_entry(const BinarySpec& spec) {
  OpInfo info;
  info.name = spec.name;
  info.family = spec.family;
  auto fn = spec.fn;
  info.op = [fn](const TensorList& in) { return fn(in.at(0), in.at(1)); };
  auto ref = spec.ref;
  const bool bool_result = spec.bool_result;
  const bool float_result = spec.float_result;
  info.reference = [ref, bool_result, float_result](const TensorList& in) {
    const Nd a = read(in.at(0)), b = read(in.at(1));
    return zip(
        a, b, ref,
        result_dtype(promote(a.dtype, b.dtype), bool_result, float_result));
  };
  const Domain da = spec.domain_a, db = spec.domain_b;
  // maximum/minimum pick a side on ties: a sample of its own.
  const bool ties = spec.name == "maximum" || spec.name == "minimum";
  info.samples = [da, db, ties](DType dtype, Generator& gen) {
    return binary_samples(dtype, gen, da, db, ties);
  };
  info.dtypes = spec.dtypes;
  info.differentiable = spec.differentiable;
  if (spec.differentiable) info.diff_args = {0, 1};
  return info;
}

// x op c with a double operand (weak scalar typing: float tensors keep
// their dtype).
struct ScalarSpec {
  std::string name;
  std::function<Tensor(const Tensor&)> fn;
  std::function<double(double)> ref;
  Domain domain = Domain::kAny;
  bool bool_result = false;
  // An integral double (2.0) keeps an integer tensor's dtype; any other
  // value makes it float32 (scalar_like's rule: C++ cannot tell 2 from 2.0).
  bool integral_scalar = false;
};

OpInfo scalar_entry(const ScalarSpec& spec) {
  OpInfo info;
  info.name = spec.name;
  info.family = "binary";
  auto fn = spec.fn;
  info.op = [fn](const TensorList& in) { return fn(in.at(0)); };
  auto ref = spec.ref;
  const bool bool_result = spec.bool_result;
  const bool to_float = !spec.integral_scalar;
  info.reference = [ref, bool_result, to_float](const TensorList& in) {
    const Nd x = read(in.at(0));
    return map(x, ref, result_dtype(x.dtype, bool_result, to_float));
  };
  const Domain d = spec.domain;
  info.samples = [d](DType dtype, Generator& gen) {
    return std::vector<SampleInput>{
        sample({make({3, 4}, dtype, gen, d)}, {"basic"}),
        sample({make_noncontig({4, 3}, dtype, gen, d)}, {"noncontig"}),
        sample({make_expanded({2, 3}, dtype, gen, d)}, {"expanded"}),
        sample({make({0, 2}, dtype, gen, d)}, {"zero-size"}),
        sample({make({}, dtype, gen, d)}, {"scalar"}),
    };
  };
  info.dtypes = {kF32, kF64, kI32, kI64};
  info.differentiable = !spec.bool_result;
  if (info.differentiable) info.diff_args = {0};
  info.impl = Impl::kComposite;
  return info;
}

OpInfo pow_scalar_entry() {
  OpInfo info =
      scalar_entry({"pow.scalar", [](const Tensor& x) { return pow(x, 3.0); },
                    [](double x) { return x * x * x; }});
  info.dtypes = floating_dtypes();
  info.samples = [](DType dtype, Generator& gen) {
    std::vector<SampleInput> v;
    auto with_exponent = [&](Tensor x, std::vector<std::string> tags,
                             double e) {
      v.push_back(sample_with(
          {std::move(x)}, std::move(tags), "exponent " + std::to_string(e),
          [e](const TensorList& in) { return pow(in.at(0), e); },
          [e](const TensorList& in) {
            const Nd x = read(in.at(0));
            return map(
                x, [e](double b) { return std::pow(b, e); }, x.dtype);
          }));
    };
    with_exponent(make({3, 4}, dtype, gen), {"basic"}, 3.0);
    with_exponent(make({3, 4}, dtype, gen), {"basic"}, 2.0);
    with_exponent(make({3, 4}, dtype, gen, Domain::kPositive), {"basic"}, 0.5);
    with_exponent(make({3, 4}, dtype, gen, Domain::kPositive), {"basic"}, -1.5);
    with_exponent(make_noncontig({4, 3}, dtype, gen), {"noncontig"}, 2.0);
    with_exponent(make({0, 3}, dtype, gen), {"zero-size"}, 2.0);
    with_exponent(make({}, dtype, gen), {"scalar"}, 3.0);
    return v;
  };
  return info;
}

OpInfo where_entry() {
  OpInfo info;
  info.name = "where";
  info.family = "where";
  info.op = [](const TensorList& in) {
    return where(in.at(0), in.at(1), in.at(2));
  };
  info.reference = [](const TensorList& in) {
    const Nd c = read(in.at(0)), a = read(in.at(1)), b = read(in.at(2));
    return zip3(
        c, a, b, [](double m, double x, double y) { return m != 0 ? x : y; },
        promote(a.dtype, b.dtype));
  };
  info.samples = [](DType dtype, Generator& gen) {
    auto mask = [&](const Shape& s) { return make(s, kBool, gen); };
    auto x = [&](const Shape& s) { return make(s, dtype, gen); };
    return std::vector<SampleInput>{
        sample({mask({3, 4}), x({3, 4}), x({3, 4})}, {"basic"}),
        sample({mask({3, 1}), x({1, 4}), x({4})}, {"broadcast"}),
        sample({mask({3, 4}), x({}), x({})}, {"scalar", "broadcast"},
               "0-d values"),
        sample({mask({}), x({2, 3}), x({2, 3})}, {"scalar", "broadcast"},
               "0-d condition"),
        sample({make_noncontig({4, 3}, kBool, gen),
                make_strided({4, 3}, dtype, gen),
                make_noncontig({4, 3}, dtype, gen)},
               {"noncontig"}),
        sample({mask({0, 3}), x({0, 3}), x({3})}, {"zero-size", "broadcast"}),
        sample({mask({3, 4}), x({3, 4}), make({3, 4}, partner(dtype), gen)},
               {"promote"}),
    };
  };
  info.dtypes = all_dtypes();
  info.diff_args = {1, 2};
  return info;
}

OpInfo cast_entry() {
  OpInfo info;
  info.name = "cast";
  info.family = "cast";
  info.op = [](const TensorList& in) { return cast(in.at(0), kF64); };
  info.reference = [](const TensorList& in) {
    return map(
        read(in.at(0)), [](double v) { return v; }, kF64);
  };
  info.samples = [](DType dtype, Generator& gen) {
    std::vector<SampleInput> v;
    auto to = [&](Tensor x, std::vector<std::string> tags, DType target) {
      v.push_back(sample_with(
          {std::move(x)}, std::move(tags),
          "to " + std::string(dtype_name(target)),
          [target](const TensorList& in) { return cast(in.at(0), target); },
          [target](const TensorList& in) {
            return map(
                read(in.at(0)),
                [target](double x) { return round_to(x, target); }, target);
          }));
    };
    for (DType target : all_dtypes()) {
      to(make({3, 4}, dtype, gen), {"basic"}, target);
      to(constant({-2.7, -0.5, 0.0, 0.5, 2.7, 3.0, -3.0, 1.0}, {2, 4}, dtype),
         {"basic"}, target);
    }
    to(make_noncontig({4, 3}, dtype, gen), {"noncontig"}, kF64);
    to(make_noncontig({4, 3}, dtype, gen), {"noncontig"}, kI32);
    to(make({0, 3}, dtype, gen), {"zero-size"}, kF32);
    to(make({}, dtype, gen), {"scalar"}, kI64);
    return v;
  };
  info.dtypes = all_dtypes();
  info.diff_args = {0};
  return info;
}

}  // namespace

void add_binary_ops(std::vector<OpInfo>& db) {
  const auto& fl = floating_dtypes();
  const auto& num = numeric_dtypes();
  const auto& all = all_dtypes();
  const Domain any = Domain::kAny, small = Domain::kSmallInt;
  auto b = [](double x) { return x != 0; };
  const std::vector<BinarySpec> specs = {
      {"add", add, [](double x, double y) { return x + y; }, any, any, num},
      {"sub", sub, [](double x, double y) { return x - y; }, any, any, num},
      {"mul", mul, [](double x, double y) { return x * y; }, any, any, num},
      {"div", div, [](double x, double y) { return x / y; }, any,
       Domain::kNonZero, fl},
      {"pow", [](const Tensor& x, const Tensor& y) { return pow(x, y); },
       [](double x, double y) { return std::pow(x, y); }, Domain::kPositive,
       any, fl},
      {"maximum", maximum, [](double x, double y) { return std::max(x, y); },
       any, any, num},
      {"minimum", minimum, [](double x, double y) { return std::min(x, y); },
       any, any, num},
      {"eq", eq, [](double x, double y) { return x == y ? 1.0 : 0.0; }, small,
       small, all, "compare", true, false},
      {"ne", ne, [](double x, double y) { return x != y ? 1.0 : 0.0; }, small,
       small, all, "compare", true, false},
      {"lt", lt, [](double x, double y) { return x < y ? 1.0 : 0.0; }, small,
       small, num, "compare", true, false},
      {"le", le, [](double x, double y) { return x <= y ? 1.0 : 0.0; }, small,
       small, num, "compare", true, false},
      {"gt", gt, [](double x, double y) { return x > y ? 1.0 : 0.0; }, small,
       small, num, "compare", true, false},
      {"ge", ge, [](double x, double y) { return x >= y ? 1.0 : 0.0; }, small,
       small, num, "compare", true, false},
      {"logical_and", logical_and,
       [b](double x, double y) { return b(x) && b(y) ? 1.0 : 0.0; }, small,
       small, all, "compare", true, false},
      {"logical_or", logical_or,
       [b](double x, double y) { return b(x) || b(y) ? 1.0 : 0.0; }, small,
       small, all, "compare", true, false},
  };
  for (BinarySpec spec : specs) {
    if (spec.name == "div") {  // true division
      spec.float_result = true;
      spec.dtypes = num;
    }
    db.push_back(binary_entry(spec));
  }

  const std::vector<ScalarSpec> scalar_specs = {
      {"add.scalar", [](const Tensor& x) { return x + 2.5; },
       [](double x) { return x + 2.5; }},
      {"sub.scalar", [](const Tensor& x) { return x - 1.25; },
       [](double x) { return x - 1.25; }},
      {"rsub.scalar", [](const Tensor& x) { return 2.5 - x; },
       [](double x) { return 2.5 - x; }},
      {"mul.scalar", [](const Tensor& x) { return x * -1.5; },
       [](double x) { return x * -1.5; }},
      {"rmul.scalar", [](const Tensor& x) { return 2.0 * x; },
       [](double x) { return 2.0 * x; }, any, false, true},
      {"div.scalar", [](const Tensor& x) { return x / 4.0; },
       [](double x) { return x / 4.0; }},
      {"rdiv.scalar", [](const Tensor& x) { return 3.0 / x; },
       [](double x) { return 3.0 / x; }, Domain::kNonZero},
      {"radd.scalar", [](const Tensor& x) { return 0.75 + x; },
       [](double x) { return 0.75 + x; }},
      {"lt.scalar", [](const Tensor& x) { return x < 0.5; },
       [](double x) { return x < 0.5 ? 1.0 : 0.0; }, any, true},
      {"gt.scalar", [](const Tensor& x) { return x > -0.25; },
       [](double x) { return x > -0.25 ? 1.0 : 0.0; }, any, true},
  };
  for (const ScalarSpec& spec : scalar_specs) db.push_back(scalar_entry(spec));
  db.push_back(pow_scalar_entry());

  OpInfo like = scalar_entry(
      {"scalar_like", [](const Tensor& x) { return scalar_like(1.5, x); },
       [](double) { return 0.0; }});
  like.reference = [](const TensorList& in) {
    return full_nd({}, 1.5, in.at(0).dtype());
  };
  like.family = "creation";
  like.dtypes = floating_dtypes();
  like.differentiable = false;
  like.diff_args.clear();
  db.push_back(like);

  db.push_back(where_entry());
  db.push_back(cast_entry());
}

}  // namespace fnx::opinfo
