// einsum: one entry per kind of equation (matmul, batch diagonal, ellipsis,
// three operands, trace, outer, reductions), each sample binding its
// equation. The reference is the definition itself: a loop over every
// assignment of the labels, multiplying the operands' elements and adding
// into the output (size-1 dims broadcast), with its own small parser.
#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using Samples = std::vector<SampleInput>;

// Splits "a,b->c" into its terms and output ("" and implicit when no "->").
struct Equation {
  std::vector<std::string> terms;
  std::string output;
  bool explicit_output = false;
};

Equation split_equation(const std::string& eq) {
  Equation e;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  if (arrow != std::string::npos) {
    e.explicit_output = true;
    e.output = eq.substr(arrow + 2);
  }
  size_t begin = 0;
  while (true) {
    const size_t comma = lhs.find(',', begin);
    e.terms.push_back(lhs.substr(begin, comma - begin));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return e;
}

// "..." replaced by `dims` digit labels, right-aligned among `rank` ones.
std::string expand(const std::string& term, int64_t dims, int64_t rank) {
  const size_t at = term.find("...");
  if (at == std::string::npos) return term;
  std::string digits;
  for (int64_t k = rank - dims; k < rank; ++k) {
    digits.push_back(static_cast<char>('0' + k));
  }
  return term.substr(0, at) + digits + term.substr(at + 3);
}

Nd einsum_ref(const std::string& equation, const std::vector<Nd>& xs) {
  Equation e = split_equation(equation);
  int64_t rank = 0;
  std::vector<int64_t> ellipsis(xs.size(), 0);
  for (size_t i = 0; i < xs.size(); ++i) {
    if (e.terms[i].find("...") == std::string::npos) continue;
    ellipsis[i] = xs[i].rank() - static_cast<int64_t>(e.terms[i].size() - 3);
    rank = std::max(rank, ellipsis[i]);
  }
  std::map<char, int64_t> size;
  std::map<char, int> uses;
  DType dtype = xs.at(0).dtype;
  for (size_t i = 0; i < xs.size(); ++i) {
    e.terms[i] = expand(e.terms[i], ellipsis[i], rank);
    dtype = promote(dtype, xs[i].dtype);
    for (size_t d = 0; d < e.terms[i].size(); ++d) {
      const char l = e.terms[i][d];
      size[l] = std::max(size.count(l) ? size[l] : 1, xs[i].shape[d]);
      if (xs[i].shape[d] == 0) size[l] = 0;
      ++uses[l];
    }
  }
  std::string out;
  if (e.explicit_output) {
    out = expand(e.output, rank, rank);
  } else {
    for (int64_t k = 0; k < rank; ++k)
      out.push_back(static_cast<char>('0' + k));
    for (const auto& [l, n] : uses) {  // std::map: digits, then A-Z, a-z
      if (n == 1 && (l < '0' || l > '9')) out.push_back(l);
    }
  }
  std::string labels;
  Shape all;
  for (const auto& [l, s] : size) {
    labels.push_back(l);
    all.push_back(s);
  }
  Shape out_shape;
  for (char l : out) out_shape.push_back(size[l]);
  Nd result = full_nd(out_shape, 0.0, dtype);
  const int64_t total = count(all);
  for (int64_t flat = 0; flat < total; ++flat) {
    const Index at = unravel(flat, all);
    auto value_of = [&](char l) { return at[labels.find(l)]; };
    double product = 1;
    for (size_t i = 0; i < xs.size(); ++i) {
      Index idx;
      for (size_t d = 0; d < e.terms[i].size(); ++d) {
        idx.push_back(xs[i].shape[d] == 1 ? 0 : value_of(e.terms[i][d]));
      }
      product *= xs[i][idx];
    }
    Index o;
    for (char l : out) o.push_back(value_of(l));
    result[o] += product;
  }
  for (double& v : result.data) v = round_to(v, dtype);
  return result;
}

SampleInput eq_sample(std::string eq, TensorList xs,
                      std::vector<std::string> tags) {
  return sample_with(
      std::move(xs), std::move(tags), "\"" + eq + "\"",
      [eq](const TensorList& in) { return einsum(eq, in); },
      [eq](const TensorList& in) {
        std::vector<Nd> nds;
        for (const Tensor& t : in) nds.push_back(read(t));
        return einsum_ref(eq, nds);
      });
}

OpInfo einsum_entry(const std::string& variant, const std::string& eq,
                    std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = "einsum." + variant;
  info.family = "linalg";
  info.impl = Impl::kComposite;
  info.op = [eq](const TensorList& in) { return einsum(eq, in); };
  info.reference = [eq](const TensorList& in) {
    std::vector<Nd> nds;
    for (const Tensor& t : in) nds.push_back(read(t));
    return einsum_ref(eq, nds);
  };
  info.samples = std::move(samples);
  info.dtypes = floating_dtypes();
  info.diff_args = {0, 1, 2};
  info.tol32 = {1e-4, 1e-4};
  return info;
}

}  // namespace

void add_einsum_ops(std::vector<OpInfo>& db) {
  OpInfo matmul_info =
      einsum_entry("matmul", "ij,jk->ik", [](DType d, Generator& g) {
        return Samples{
            eq_sample("ij,jk->ik", {make({3, 4}, d, g), make({4, 2}, d, g)},
                      {"basic"}),
            eq_sample("ij,jk", {make({2, 3}, d, g), make({3, 4}, d, g)},
                      {"basic"}),
            eq_sample("bij,bjk->bik",
                      {make({2, 2, 3}, d, g), make({2, 3, 2}, d, g)},
                      {"basic"}),
            eq_sample("ij,kj->ki",
                      {make_noncontig({3, 4}, d, g), make({2, 4}, d, g)},
                      {"noncontig"}),
            eq_sample("ij,jk->ik", {make({0, 3}, d, g), make({3, 2}, d, g)},
                      {"zero-size"}),
            eq_sample("ij,jk->ik", {make({2, 0}, d, g), make({0, 3}, d, g)},
                      {"zero-size"}),
        };
      });
  matmul_info.needs_scalar = false;
  db.push_back(matmul_info);

  OpInfo diag_info =
      einsum_entry("batch_diagonal", "bii->bi", [](DType d, Generator& g) {
        return Samples{
            eq_sample("bii->bi", {make({2, 3, 3}, d, g)}, {"basic"}),
            eq_sample("bii->b", {make({2, 3, 3}, d, g)}, {"basic"}),
            eq_sample("ibi->ib", {make({3, 2, 3}, d, g)}, {"basic"}),
            eq_sample("iii->i", {make({2, 2, 2}, d, g)}, {"basic"}),
            eq_sample("bii,bi->bi", {make({2, 3, 3}, d, g), make({2, 3}, d, g)},
                      {"basic"}),
            eq_sample("bii->bi", {make_noncontig({2, 3, 3}, d, g)},
                      {"noncontig"}),
            eq_sample("bii->bi", {make({0, 3, 3}, d, g)}, {"zero-size"}),
        };
      });
  diag_info.needs_scalar = false;
  db.push_back(diag_info);

  OpInfo ellipsis_info =
      einsum_entry("ellipsis", "...ij,...jk->...ik", [](DType d, Generator& g) {
        return Samples{
            eq_sample("...ij,...jk->...ik",
                      {make({2, 2, 3}, d, g), make({2, 3, 2}, d, g)},
                      {"basic"}),
            eq_sample("...ij,...jk->...ik",
                      {make({2, 1, 2, 3}, d, g), make({3, 3, 2}, d, g)},
                      {"broadcast"}),
            eq_sample("...i,...i->...", {make({3, 4}, d, g), make({4}, d, g)},
                      {"broadcast"}),
            eq_sample("i...->...i", {make({2, 3, 2}, d, g)}, {"basic"}),
            eq_sample("...ij", {make({2, 3, 2}, d, g)}, {"basic"}),
            eq_sample("b...,b...->b", {make({2, 3}, d, g), make({2, 3}, d, g)},
                      {"basic"}),
            eq_sample("...ij->ij", {make({2, 3, 2}, d, g)}, {"basic"}),
            eq_sample("...ij,...jk->...ik",
                      {make_noncontig({2, 2, 3}, d, g), make({3, 2}, d, g)},
                      {"noncontig", "broadcast"}),
            eq_sample("...ij,...jk->...ik",
                      {make({0, 2, 3}, d, g), make({3, 2}, d, g)},
                      {"zero-size", "broadcast"}),
        };
      });
  ellipsis_info.needs_scalar = false;
  db.push_back(ellipsis_info);

  OpInfo three_info =
      einsum_entry("three_operands", "ij,jk,kl->il", [](DType d, Generator& g) {
        return Samples{
            eq_sample(
                "ij,jk,kl->il",
                {make({2, 3}, d, g), make({3, 4}, d, g), make({4, 2}, d, g)},
                {"basic"}),
            // The greedy order contracts the two vectors' sides first.
            eq_sample("i,ij,j->",
                      {make({3}, d, g), make({3, 4}, d, g), make({4}, d, g)},
                      {"scalar"}),
            eq_sample("bij,bjk,bk->bi",
                      {make({2, 2, 3}, d, g), make({2, 3, 2}, d, g),
                       make({2, 2}, d, g)},
                      {"basic"}),
            eq_sample(
                "ij,ik,il->jkl",
                {make({3, 2}, d, g), make({3, 2}, d, g), make({3, 2}, d, g)},
                {"basic"}),
            eq_sample("ij,jk,kl->il",
                      {make_noncontig({2, 3}, d, g), make({3, 4}, d, g),
                       make_noncontig({4, 2}, d, g)},
                      {"noncontig"}),
            eq_sample(
                "ij,jk,kl->il",
                {make({2, 3}, d, g), make({3, 0}, d, g), make({0, 2}, d, g)},
                {"zero-size"}),
        };
      });
  db.push_back(three_info);

  OpInfo trace_info = einsum_entry("trace", "ii->", [](DType d, Generator& g) {
    return Samples{
        eq_sample("ii->", {make({3, 3}, d, g)}, {"basic", "scalar"}),
        eq_sample("ii", {make({4, 4}, d, g)}, {"basic", "scalar"}),
        eq_sample("ij,ji->", {make({2, 3}, d, g), make({3, 2}, d, g)},
                  {"basic", "scalar"}),
        eq_sample("ii->", {make_noncontig({3, 3}, d, g)}, {"noncontig"}),
        eq_sample("ii->", {make({0, 0}, d, g)}, {"zero-size", "scalar"}),
    };
  });
  db.push_back(trace_info);

  OpInfo outer_info =
      einsum_entry("outer", "i,j->ij", [](DType d, Generator& g) {
        return Samples{
            eq_sample("i,j->ij", {make({3}, d, g), make({4}, d, g)}, {"basic"}),
            eq_sample("i,j", {make({2}, d, g), make({3}, d, g)}, {"basic"}),
            eq_sample("ij,k->kji", {make({2, 3}, d, g), make({2}, d, g)},
                      {"basic"}),
            eq_sample(",j->j", {make({}, d, g), make({3}, d, g)}, {"scalar"}),
            eq_sample("i,j->ij", {make_noncontig({3}, d, g), make({2}, d, g)},
                      {"noncontig"}),
            eq_sample("i,j->ij", {make({0}, d, g), make({3}, d, g)},
                      {"zero-size"}),
        };
      });
  db.push_back(outer_info);

  OpInfo reduce_info =
      einsum_entry("reduce", "ij->j", [](DType d, Generator& g) {
        return Samples{
            eq_sample("ij->j", {make({3, 4}, d, g)}, {"basic"}),
            eq_sample("ijk->", {make({2, 3, 2}, d, g)}, {"basic", "scalar"}),
            eq_sample("ijk->kj", {make({2, 3, 2}, d, g)}, {"basic"}),
            eq_sample("ij,ij->i", {make({3, 4}, d, g), make({3, 4}, d, g)},
                      {"basic"}),
            eq_sample("->", {make({}, d, g)}, {"scalar"}),
            eq_sample("ij->i", {make_noncontig({3, 4}, d, g)}, {"noncontig"}),
            eq_sample("ij->j", {make({0, 4}, d, g)}, {"zero-size"}),
        };
      });
  db.push_back(reduce_info);
}

}  // namespace fnx::opinfo
