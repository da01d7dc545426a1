// einsum, written in public ops (diagonal, permute, reshape, sum, mul,
// matmul), so every transform supports it with no rule of its own.
//
// Plan: parse the equation into integer labels (letters, and one label per
// broadcast "..." dim); reduce each operand to distinct labels (a repeated
// label takes the diagonal); drop size-1 dims that broadcast against a
// larger size; sum every label that only one operand holds and the output
// lacks. Then contract pairwise, greedily choosing the pair whose result is
// smallest (opt_einsum's greedy path: it keeps intermediates small, which
// bounds both memory and the work of later steps). One pair is one batched
// matmul: (batch, free of A, contracted) x (batch, contracted, free of B),
// or a broadcasting multiply when nothing is contracted.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

constexpr std::string_view kOp = "einsum";
// Letters map to 0..51 in ASCII order (upper case first, as torch orders an
// implicit output); the dims under "..." get labels from kEllipsis up,
// aligned to the right across operands.
constexpr int kLetters = 52;
constexpr int kEllipsis = kLetters;

using Labels = std::vector<int>;

struct Term {
  Labels letters_before, letters_after;  // around "..." (all in before if none)
  bool ellipsis = false;
};

struct Operand {
  Tensor t;
  Labels labels;  // one per dim of t
};

int letter_label(char c) { return c <= 'Z' ? c - 'A' : 26 + (c - 'a'); }

std::string label_name(int label) {
  if (label >= kEllipsis) {
    return str_cat("... dim ", label - kEllipsis);
  }
  return std::string(
      1, static_cast<char>(label < 26 ? 'A' + label : 'a' + label - 26));
}

Term parse_term(std::string_view eq, size_t begin, size_t end) {
  Term term;
  for (size_t i = begin; i < end; ++i) {
    const char c = eq[i];
    if (c == ' ') continue;
    if (c == '.') {
      FNX_CHECK(i + 2 < end && eq[i + 1] == '.' && eq[i + 2] == '.', kOp,
                "a '.' at position ", i, " of \"", eq,
                "\" is not part of an ellipsis \"...\"");
      FNX_CHECK(!term.ellipsis, kOp, "more than one \"...\" in one term of \"",
                eq, "\"");
      term.ellipsis = true;
      i += 2;
      continue;
    }
    FNX_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'), kOp,
              "unknown character '", c, "' at position ", i, " of \"", eq,
              "\"; subscripts are letters, ',', '->' and '...'");
    (term.ellipsis ? term.letters_after : term.letters_before)
        .push_back(letter_label(c));
  }
  return term;
}

// The term's labels for an operand of `rank` dims, whose "..." covers
// rank - letters dims; those take the last labels of the `ellipsis_rank`
// broadcast dims.
Labels expand_term(const Term& term, int64_t ellipsis_dims,
                   int64_t ellipsis_rank) {
  Labels out = term.letters_before;
  for (int64_t k = 0; k < ellipsis_dims; ++k) {
    out.push_back(kEllipsis +
                  static_cast<int>(ellipsis_rank - ellipsis_dims + k));
  }
  out.insert(out.end(), term.letters_after.begin(), term.letters_after.end());
  return out;
}

bool contains(const Labels& labels, int label) {
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

int64_t find_dim(const Labels& labels, int label) {
  return std::find(labels.begin(), labels.end(), label) - labels.begin();
}

// Sums the dims whose labels fail `keep`.
void sum_unless(Operand& op, const std::function<bool(int)>& keep) {
  Dims dims;
  Labels kept;
  for (size_t d = 0; d < op.labels.size(); ++d) {
    if (keep(op.labels[d])) {
      kept.push_back(op.labels[d]);
    } else {
      dims.push_back(static_cast<int64_t>(d));
    }
  }
  if (dims.empty()) return;
  op.t = sum(op.t, dims);
  op.labels = kept;
}

// Replaces every repeated label by one dim: the diagonal of the pair.
void take_diagonals(Operand& op) {
  for (size_t p = 0; p < op.labels.size(); ++p) {
    const int label = op.labels[p];
    const auto q = std::find(op.labels.begin() + p + 1, op.labels.end(), label);
    if (q == op.labels.end()) continue;
    const int64_t qd = q - op.labels.begin();
    Dims perm;
    Labels rest;
    for (size_t d = 0; d < op.labels.size(); ++d) {
      if (d == p || static_cast<int64_t>(d) == qd) continue;
      perm.push_back(static_cast<int64_t>(d));
      rest.push_back(op.labels[d]);
    }
    perm.push_back(static_cast<int64_t>(p));
    perm.push_back(qd);
    op.t = diagonal(permute(op.t, perm));  // (rest..., n)
    rest.push_back(label);
    op.labels = rest;
    p = static_cast<size_t>(-1);  // labels moved: start over
  }
}

int64_t size_of(const Operand& op, int label) {
  return op.t.shape()[find_dim(op.labels, label)];
}

// A and B contracted over the labels they share and `keep` rejects; the
// result holds (batch, free of A, free of B).
Operand contract_pair(Operand a, Operand b,
                      const std::function<bool(int)>& keep) {
  sum_unless(a, [&](int l) { return keep(l) || contains(b.labels, l); });
  sum_unless(b, [&](int l) { return keep(l) || contains(a.labels, l); });
  Labels batch, contracted, a_free, b_free;
  for (int l : a.labels) {
    if (!contains(b.labels, l)) {
      a_free.push_back(l);
    } else {
      (keep(l) ? batch : contracted).push_back(l);
    }
  }
  for (int l : b.labels) {
    if (!contains(a.labels, l)) b_free.push_back(l);
  }
  auto dims_of = [](const Operand& op,
                    std::initializer_list<const Labels*> ls) {
    Dims perm;
    for (const Labels* group : ls) {
      for (int l : *group) perm.push_back(find_dim(op.labels, l));
    }
    return perm;
  };
  auto sizes_of = [](const Operand& op, const Labels& ls) {
    Shape s;
    for (int l : ls) s.push_back(size_of(op, l));
    return s;
  };
  auto product = [](const Shape& s) {
    int64_t n = 1;
    for (int64_t v : s) n *= v;
    return n;
  };
  const Shape batch_s = sizes_of(a, batch), a_s = sizes_of(a, a_free),
              b_s = sizes_of(b, b_free), k_s = sizes_of(a, contracted);
  Operand out;
  out.labels = batch;
  out.labels.insert(out.labels.end(), a_free.begin(), a_free.end());
  out.labels.insert(out.labels.end(), b_free.begin(), b_free.end());
  Shape out_shape = batch_s;
  out_shape.insert(out_shape.end(), a_s.begin(), a_s.end());
  out_shape.insert(out_shape.end(), b_s.begin(), b_s.end());
  if (contracted.empty()) {
    // Nothing to sum: one broadcasting multiply, (batch, A, 1...) times
    // (batch, 1..., B).
    Shape a_view = batch_s, b_view = batch_s;
    a_view.insert(a_view.end(), a_s.begin(), a_s.end());
    a_view.insert(a_view.end(), b_s.size(), 1);
    b_view.insert(b_view.end(), a_s.size(), 1);
    b_view.insert(b_view.end(), b_s.begin(), b_s.end());
    out.t = reshape(permute(a.t, dims_of(a, {&batch, &a_free})), a_view) *
            reshape(permute(b.t, dims_of(b, {&batch, &b_free})), b_view);
    return out;
  }
  const int64_t nb = product(batch_s), m = product(a_s), n = product(b_s),
                k = product(k_s);
  const Tensor am = reshape(
      permute(a.t, dims_of(a, {&batch, &a_free, &contracted})), {nb, m, k});
  const Tensor bm = reshape(
      permute(b.t, dims_of(b, {&batch, &contracted, &b_free})), {nb, k, n});
  out.t = reshape(matmul(am, bm), out_shape);
  return out;
}

double result_size(const Operand& a, const Operand& b,
                   const std::function<bool(int)>& keep) {
  double n = 1;
  for (size_t d = 0; d < a.labels.size(); ++d) {
    if (keep(a.labels[d])) n *= static_cast<double>(a.t.shape()[d]);
  }
  for (size_t d = 0; d < b.labels.size(); ++d) {
    if (keep(b.labels[d]) && !contains(a.labels, b.labels[d])) {
      n *= static_cast<double>(b.t.shape()[d]);
    }
  }
  return n;
}

}  // namespace

Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands) {
  FNX_CHECK(!operands.empty(), kOp, "expected at least one operand for \"",
            equation, "\"");
  const size_t arrow = equation.find("->");
  const size_t lhs_end =
      arrow == std::string_view::npos ? equation.size() : arrow;
  std::vector<Term> terms;
  for (size_t begin = 0;;) {
    const size_t comma = equation.find(',', begin);
    const size_t end = std::min(comma, lhs_end);
    terms.push_back(parse_term(equation, begin, end));
    if (comma >= lhs_end) break;
    begin = comma + 1;
  }
  FNX_CHECK(terms.size() == operands.size(), kOp, "the equation \"", equation,
            "\" has ", terms.size(), " operand terms but ", operands.size(),
            " operands were given");

  // Labels per operand, with "..." expanded right-aligned.
  int64_t ellipsis_rank = 0;
  std::vector<int64_t> ellipsis_dims(operands.size(), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    const int64_t letters = static_cast<int64_t>(
        terms[i].letters_before.size() + terms[i].letters_after.size());
    const int64_t rank = operands[i].dim();
    FNX_CHECK(terms[i].ellipsis ? rank >= letters : rank == letters, kOp,
              "operand ", i, " of shape ", shape_str(operands[i].shape()),
              " has ", rank, " dims but its subscripts in \"", equation,
              "\" name ", letters, terms[i].ellipsis ? " or more" : "");
    if (terms[i].ellipsis) ellipsis_dims[i] = rank - letters;
    ellipsis_rank = std::max(ellipsis_rank, ellipsis_dims[i]);
  }
  FNX_CHECK(ellipsis_rank <= std::numeric_limits<int>::max() - kEllipsis, kOp,
            "too many dims under \"...\"");
  DType dtype = operands[0].dtype();
  for (const Tensor& t : operands) dtype = promote_types(dtype, t.dtype());

  std::vector<Operand> ops;
  std::vector<int> counts(kEllipsis + ellipsis_rank, 0);
  std::vector<int64_t> sizes(kEllipsis + ellipsis_rank, -1);
  std::vector<size_t> first_operand(sizes.size(), 0);
  for (size_t i = 0; i < operands.size(); ++i) {
    Operand op{cast(operands[i], dtype),
               expand_term(terms[i], ellipsis_dims[i], ellipsis_rank)};
    for (size_t d = 0; d < op.labels.size(); ++d) {
      const int l = op.labels[d];
      const int64_t s = op.t.shape()[d];
      ++counts[l];
      if (contains(Labels(op.labels.begin(), op.labels.begin() + d), l)) {
        FNX_CHECK(s == size_of(op, l), kOp, "label ", label_name(l),
                  " is repeated in operand ", i, " (shape ",
                  shape_str(op.t.shape()),
                  ") with different sizes; a repeated label takes the "
                  "diagonal, which needs equal sizes");
      } else if (sizes[l] < 0 || sizes[l] == 1) {
        if (sizes[l] < 0 || s != 1) first_operand[l] = i;
        sizes[l] = sizes[l] < 0 ? s : std::max(sizes[l], s);
      } else {
        FNX_CHECK(s == sizes[l] || s == 1, kOp, "label ", label_name(l),
                  " has size ", sizes[l], " in operand ", first_operand[l],
                  " but size ", s, " in operand ", i, " (shape ",
                  shape_str(op.t.shape()), ") in \"", equation,
                  "\"; sizes must match or be 1");
      }
    }
    ops.push_back(std::move(op));
  }

  // The output's labels.
  Labels output;
  if (arrow != std::string_view::npos) {
    FNX_CHECK(equation.find("->", arrow + 2) == std::string_view::npos, kOp,
              "more than one \"->\" in \"", equation, "\"");
    FNX_CHECK(equation.find(',', arrow) == std::string_view::npos, kOp,
              "the output of \"", equation, "\" cannot hold a ','");
    const Term out = parse_term(equation, arrow + 2, equation.size());
    // Broadcast dims the output leaves out are summed.
    output = expand_term(out, out.ellipsis ? ellipsis_rank : 0, ellipsis_rank);
    for (size_t k = 0; k < output.size(); ++k) {
      const int l = output[k];
      FNX_CHECK(l >= kEllipsis || counts[l] > 0, kOp, "output label ",
                label_name(l), " of \"", equation,
                "\" does not appear in any input");
      FNX_CHECK(!contains(Labels(output.begin(), output.begin() + k), l), kOp,
                "output label ", label_name(l), " appears more than once in \"",
                equation, "\"");
    }
  } else {
    for (int64_t k = 0; k < ellipsis_rank; ++k) {
      output.push_back(kEllipsis + static_cast<int>(k));
    }
    for (int l = 0; l < kLetters; ++l) {
      if (counts[l] == 1) output.push_back(l);
    }
  }

  for (Operand& op : ops) {
    take_diagonals(op);
    // A size-1 dim against a larger size broadcasts: it adds nothing to a
    // sum or a product, so it is dropped.
    Labels kept;
    Shape shape;
    for (size_t d = 0; d < op.labels.size(); ++d) {
      const int64_t s = op.t.shape()[d];
      if (s == 1 && sizes[op.labels[d]] != 1) continue;
      kept.push_back(op.labels[d]);
      shape.push_back(s);
    }
    if (kept.size() != op.labels.size()) {
      op.t = reshape(op.t, shape);
      op.labels = kept;
    }
  }
  // Whether `label` is still needed beside operands a and b (indices into
  // ops; b may be a itself).
  auto needed_outside = [&](size_t a, size_t b) {
    return [&, a, b](int label) {
      if (contains(output, label)) return true;
      for (size_t k = 0; k < ops.size(); ++k) {
        if (k != a && k != b && contains(ops[k].labels, label)) return true;
      }
      return false;
    };
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    sum_unless(ops[i], needed_outside(i, i));
  }
  while (ops.size() > 1) {
    size_t best_i = 0, best_j = 1;
    double best = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < ops.size(); ++i) {
      for (size_t j = i + 1; j < ops.size(); ++j) {
        const double n = result_size(ops[i], ops[j], needed_outside(i, j));
        if (n < best) {
          best = n;
          best_i = i;
          best_j = j;
        }
      }
    }
    Operand merged =
        contract_pair(ops[best_i], ops[best_j], needed_outside(best_i, best_j));
    ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(best_j));
    ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(best_i));
    ops.push_back(std::move(merged));
  }
  Operand& last = ops[0];
  sum_unless(last, [&](int l) { return contains(output, l); });
  Dims perm;
  for (int l : output) perm.push_back(find_dim(last.labels, l));
  return permute(last.t, perm);
}

}  // namespace fnx
