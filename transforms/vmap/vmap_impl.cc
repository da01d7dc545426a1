// The vmap transform's entry point (registered as transform "vmap"): checks
// the flattened inputs against their in_dims, finds the batch size, runs the
// function under a VmapInterpreter (whole, or chunk by chunk) and moves each
// output's batch dim to its out_dim.
#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "transforms/vmap/batching_util.h"
#include "transforms/vmap/fallback.h"
#include "transforms/vmap/vmap_entry.h"
#include "transforms/vmap/vmap_interpreter.h"

namespace fnx::vmap_internal {
namespace {

using vmap_detail::BodyRef;
using vmap_detail::Inputs;
using vmap_detail::kNoDim;
using vmap_detail::Outputs;

// "argument 1", or "argument 1 at [\"fc1.weight\"]" for a leaf of a tree
// argument (its path: [i] for sequence and tuple elements, ["key"] for
// ParamDict entries, .field for struct fields).
std::string leaf_name(const Inputs& in, std::size_t i) {
  const int arg = in.arg_of_leaf[i];
  std::string path;
  if (in.leaf_paths) {
    const std::vector<std::string> paths = in.leaf_paths();
    if (i < paths.size()) path = paths[i];
  }
  if (path.empty()) return str_cat("argument ", arg);
  return str_cat("argument ", arg, " at ", path);
}

std::string output_name(std::size_t k, std::size_t count) {
  return count == 1 ? std::string("the output")
                    : str_cat("output leaf ", k, " (of ", count, ")");
}

struct Mapping {
  std::vector<Tensor> leaves;  // the inputs, dead wrappers peeled
  std::vector<int64_t> dims;   // normalized; kNoDim when not mapped
  int64_t batch_size = 0;
};

Mapping check_inputs(const Inputs& in, const VmapOptions& options) {
  FNX_CHECK(!options.chunk_size || *options.chunk_size >= 1, "vmap",
            "chunk_size must be >= 1 (or unset), got ", *options.chunk_size);
  FNX_CHECK(!options.axis_size || *options.axis_size >= 0, "vmap",
            "axis_size must be >= 0 (or unset), got ", *options.axis_size);
  Mapping m;
  m.dims.assign(in.leaves.size(), kNoDim);
  m.leaves.reserve(in.leaves.size());
  for (const Tensor& leaf : in.leaves) {
    // A wrapper whose transform has ended stands for the tensor it holds.
    Tensor storage;
    m.leaves.push_back(leaf.defined() ? peel_dead(leaf, storage) : leaf);
  }
  int64_t size = -1;
  std::size_t size_leaf = 0;
  for (std::size_t i = 0; i < m.leaves.size(); ++i) {
    const Tensor& leaf = m.leaves[i];
    const int64_t d = in.dims[i];
    if (d == kNoDim || !leaf.defined()) continue;
    const int64_t rank = leaf.dim();
    if (rank == 0) {
      fail("vmap", "in_dims maps ", leaf_name(in, i), " at dim ", d,
           " but it is a 0-d tensor, which has no dim to map; use none for "
           "it");
    }
    FNX_CHECK(d >= -rank && d < rank, "vmap", "in_dims ", d,
              " is out of range for ", leaf_name(in, i), " of shape ",
              shape_str(leaf.shape()), "; use a dim in [", -rank, ", ", rank,
              ") or none");
    m.dims[i] = d < 0 ? d + rank : d;
    const int64_t s = leaf.shape()[m.dims[i]];
    if (size < 0) {
      size = s;
      size_leaf = i;
    } else if (s != size) {
      fail("vmap", "inconsistent batch sizes: ", leaf_name(in, size_leaf),
           " has size ", size, " at its mapped dim ", m.dims[size_leaf],
           " (shape ", shape_str(m.leaves[size_leaf].shape()), ") but ",
           leaf_name(in, i), " has size ", s, " at its mapped dim ", m.dims[i],
           " (shape ", shape_str(leaf.shape()),
           "); every mapped input needs the same size along its in_dim");
    }
  }
  if (options.axis_size) {
    if (size >= 0 && size != *options.axis_size) {
      fail("vmap", "axis_size is ", *options.axis_size, " but ",
           leaf_name(in, size_leaf), " has size ", size, " at its mapped dim ",
           m.dims[size_leaf], " (shape ",
           shape_str(m.leaves[size_leaf].shape()),
           "); they must agree (or leave axis_size unset)");
    }
    size = *options.axis_size;
  }
  if (size < 0) {
    fail("vmap",
         "no input is mapped (in_dims are none for every tensor, "
         "or no argument holds a tensor) and no axis_size was given, so the "
         "batch size is unknown; map at least one input or set "
         "VmapOptions::axis_size");
  }
  m.batch_size = size;
  return m;
}

// One run of the function over `leaves` (one chunk) at a new vmap level:
// the outputs' physical tensors and batch dims, and their out_dims.
struct Run {
  std::vector<BatchedValue> outputs;
  std::vector<int64_t> out_dims;
};

Run run_level(const Inputs& in, std::span<const Tensor> leaves,
              const std::vector<int64_t>& dims, const BatchContext& ctx,
              BodyRef body) {
  VmapInterpreter interpreter(ctx);
  std::vector<Tensor> wrapped(leaves.begin(), leaves.end());
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    if (dims[i] != kNoDim) {
      wrapped[i] =
          interpreter.wrap_input(wrapped[i], dims[i], in.arg_of_leaf[i]);
    }
  }
  Outputs out;
  Run run;
  {
    InterpreterScope scope(interpreter);
    body(wrapped, out);
    run.outputs.reserve(out.leaves.size());
    for (const Tensor& t : out.leaves) {
      if (!t.defined()) {
        run.outputs.push_back(unbatched(t));
        continue;
      }
      Tensor storage;
      run.outputs.push_back(interpreter.unwrap_batched(peel_dead(t, storage)));
    }
  }
  run.out_dims = std::move(out.dims);
  return run;
}

// An output with its batch dim at `out_dim` (an unbatched one is expanded
// to the batch), or as is for out_dim none.
Tensor place_output(const BatchedValue& v, int64_t out_dim, int64_t batch_size,
                    std::size_t k, std::size_t count) {
  if (!v.value.defined()) return v.value;
  if (out_dim == kNoDim) {
    FNX_CHECK(!v.batched(), "vmap", "out_dims is none for ",
              output_name(k, count),
              " but it is batched (it depends on a mapped input); give it an "
              "int out_dim, or return a value that is the same for every "
              "example");
    return v.value;
  }
  const int64_t rank = v.logical_rank();
  if (out_dim < -(rank + 1) || out_dim > rank) {
    Shape example = v.value.shape();
    if (v.batched()) example.erase(example.begin() + v.bdim);
    fail("vmap", "out_dims ", out_dim, " is out of range for ",
         output_name(k, count), " of per-example shape ", shape_str(example),
         "; use a dim in [", -(rank + 1), ", ", rank, "] or none");
  }
  const int64_t d = out_dim < 0 ? out_dim + rank + 1 : out_dim;
  if (v.batched()) return v.bdim == d ? v.value : movedim(v.value, v.bdim, d);
  return expand(unsqueeze(v.value, d),
                with_dim(v.value.shape(), d, batch_size));
}

std::vector<Tensor> place_all(const Run& run, int64_t batch_size) {
  std::vector<Tensor> out;
  out.reserve(run.outputs.size());
  for (std::size_t k = 0; k < run.outputs.size(); ++k) {
    out.push_back(place_output(run.outputs[k], run.out_dims[k], batch_size, k,
                               run.outputs.size()));
  }
  return out;
}

std::vector<Tensor> run_chunked(const Inputs& in, const Mapping& m,
                                const VmapOptions& options, BodyRef body) {
  const int64_t chunk = *options.chunk_size;
  RandomReplay replay;
  const uint64_t first_serial = Storage::next_serial();
  std::vector<std::vector<Tensor>> pieces;
  std::vector<int64_t> out_dims;
  std::vector<Tensor> leaves(in.leaves.size());
  for (int64_t start = 0; start < m.batch_size; start += chunk) {
    const int64_t len = std::min(chunk, m.batch_size - start);
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      leaves[i] = m.dims[i] == kNoDim
                      ? m.leaves[i]
                      : narrow(m.leaves[i], m.dims[i], start, len);
    }
    replay.recording = start == 0;
    replay.next = 0;
    const BatchContext ctx{len,
                           options.randomness,
                           start,
                           &replay,
                           options.promote_inplace_writes,
                           first_serial};
    const Run run = run_level(in, leaves, m.dims, ctx, body);
    if (start == 0) {
      pieces.resize(run.outputs.size());
      out_dims = run.out_dims;
    }
    FNX_CHECK(run.outputs.size() == pieces.size(), "vmap",
              "the function returned ", run.outputs.size(),
              " tensors for one chunk but ", pieces.size(),
              " for the first; with chunk_size it must return the same "
              "structure every time");
    const std::vector<Tensor> placed = place_all(run, len);
    for (std::size_t k = 0; k < placed.size(); ++k) {
      pieces[k].push_back(placed[k]);
    }
  }
  std::vector<Tensor> out;
  out.reserve(pieces.size());
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    const Tensor& first = pieces[k][0];
    if (!first.defined() || out_dims[k] == kNoDim) {
      out.push_back(first);
      continue;
    }
    const int64_t d = out_dims[k] < 0 ? out_dims[k] + first.dim() : out_dims[k];
    out.push_back(pieces[k].size() == 1 ? first : cat(pieces[k], d));
  }
  return out;
}

std::vector<Tensor> run_vmap(const Inputs& in, const VmapOptions& options,
                             BodyRef body) {
  const Mapping m = check_inputs(in, options);
  if (options.chunk_size && *options.chunk_size < m.batch_size) {
    return run_chunked(in, m, options, body);
  }
  const BatchContext ctx{m.batch_size,
                         options.randomness,
                         0,
                         nullptr,
                         options.promote_inplace_writes,
                         Storage::next_serial()};
  return place_all(run_level(in, m.leaves, m.dims, ctx, body), m.batch_size);
}

const vmap_detail::Entry kEntry{vmap_detail::kEntryVersion, &run_vmap,
                                &set_fallback_error, &fallback_primitives};

}  // namespace

FNX_REGISTER_PLUGIN("vmap") { r.transform("vmap", &kEntry); }

}  // namespace fnx::vmap_internal
