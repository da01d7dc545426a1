#include "transforms/distributed/dist.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/str_cat.h"
#include "transforms/distributed/backend_hooks.h"
#include "transforms/distributed/failure.h"

namespace fnx::dist_internal {
namespace {
const TransportHooks* g_transport = nullptr;
}  // namespace

void set_transport(const TransportHooks* hooks) { g_transport = hooks; }
const TransportHooks* transport() { return g_transport; }

}  // namespace fnx::dist_internal

namespace fnx::dist {
namespace {

Group g_world;
std::once_flag g_init_once;

// An exception nobody caught (or std::terminate for another reason) ends
// the job with the error and this rank named, rather than leaving the
// other ranks waiting in their next collective.
[[noreturn]] void terminate_job() {
  std::string message = "terminated";
  if (const std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& error) {
      message = error.what();
    } catch (...) {
      message = "an exception that is not a std::exception";
    }
  }
  abort_job(message);
}

Tensor collective(Prim prim, CollectiveAttrs attrs, const Tensor& x) {
  const Tensor inputs[] = {x};
  return dispatch(prim, Attrs{std::move(attrs)}, inputs);
}

CollectiveAttrs attrs_for(const Group& group) {
  FNX_CHECK(group != nullptr, "dist",
            "the group is null; pass dist::world() or a group from split");
  CollectiveAttrs a;
  a.group = group;
  return a;
}

}  // namespace

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr;
}

void init() {
  std::call_once(g_init_once, [] {
    const dist_internal::TransportHooks* t = dist_internal::transport();
    if (!launched_by_mpirun()) {
      g_world = single_process_group();
      return;
    }
    FNX_CHECK(t != nullptr, "dist::init",
              "the program was launched by mpirun but fnx's MPI backend is "
              "not linked; add //transforms/distributed:mpi to its deps");
    g_world = t->make_world();
    std::set_terminate(&terminate_job);
  });
}

Group world() {
  init();
  return g_world;
}
int rank() { return world()->rank(); }
int size() { return world()->size(); }

Group split(const Group& group, int color, int key) {
  FNX_CHECK(group != nullptr, "dist::split", "the group is null");
  return group->split(color, key);
}

Tensor all_reduce(const Tensor& x, const Group& group, ReduceOp op) {
  CollectiveAttrs a = attrs_for(group);
  a.op = op;
  return collective(Prim::AllReduce, std::move(a), x);
}

Tensor all_gather(const Tensor& x, const Group& group, int64_t dim) {
  CollectiveAttrs a = attrs_for(group);
  a.dim = dim < 0 ? dim + x.dim() : dim;
  return collective(Prim::AllGather, std::move(a), x);
}

Tensor reduce_scatter(const Tensor& x, const Group& group, int64_t dim,
                      ReduceOp op) {
  CollectiveAttrs a = attrs_for(group);
  a.dim = dim < 0 ? dim + x.dim() : dim;
  a.op = op;
  return collective(Prim::ReduceScatter, std::move(a), x);
}

Tensor broadcast(const Tensor& x, const Group& group, int root) {
  CollectiveAttrs a = attrs_for(group);
  a.root = root;
  return collective(Prim::Broadcast, std::move(a), x);
}

Tensor ppermute(const Tensor& x, const Group& group,
                std::vector<std::pair<int, int>> pairs) {
  CollectiveAttrs a = attrs_for(group);
  a.pairs = std::move(pairs);
  return collective(Prim::Ppermute, std::move(a), x);
}

Tensor shift(const Tensor& x, const Group& group, int shift) {
  FNX_CHECK(group != nullptr, "dist::shift", "the group is null");
  const int n = group->size();
  std::vector<std::pair<int, int>> pairs;
  for (int r = 0; r < n; ++r) pairs.emplace_back(r, ((r + shift) % n + n) % n);
  return ppermute(x, group, std::move(pairs));
}

int run(const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& error) {
    abort_job(error.what());
  }
}

void abort_job(std::string_view message) {
  const dist_internal::TransportHooks* t = dist_internal::transport();
  const bool distributed = g_world != nullptr && g_world->size() > 1;
  // One write, so that ranks failing together do not interleave lines.
  const std::string line = str_cat(
      "[dist] rank ", g_world ? g_world->rank() : 0, ": ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  if (distributed && t != nullptr) t->abort_job(1);
  std::_Exit(1);
}

}  // namespace fnx::dist
