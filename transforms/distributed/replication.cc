#include "transforms/distributed/replication.h"

#include <memory>
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "transforms/distributed/dist.h"

namespace fnx::dist_internal {
namespace {

thread_local ReplicationLevel* t_innermost = nullptr;

struct Replication final : WrapperPayload {
  explicit Replication(bool varying) : varying(varying) {}
  const bool varying;
};

const std::shared_ptr<WrapperPayload>& payload(bool varying) {
  static const std::shared_ptr<WrapperPayload> kVarying =
      std::make_shared<Replication>(true);
  static const std::shared_ptr<WrapperPayload> kReplicated =
      std::make_shared<Replication>(false);
  return varying ? kVarying : kReplicated;
}

// Whether the result of `call` over group `group` is varying, given whether
// any input is.
bool result_varies(const OpCall& call, const CommGroup* group,
                   bool any_input_varies) {
  switch (call.prim) {
    case Prim::ReduceScatter:
    case Prim::Ppermute:
      return true;  // each rank keeps a different part
    case Prim::AllReduce:
    case Prim::AllGather:
    case Prim::Broadcast:
      // Over dmap's group every rank ends with the same value; over another
      // group (a sub-group), ranks of different sub-groups may differ.
      if (call.attr<CollectiveAttrs>().group.get() == group) return false;
      return any_input_varies;
    default:
      return any_input_varies;
  }
}

Tensor defined_or_zeros(const Tensor& cotangent, const Tensor& like) {
  return cotangent.defined() ? cotangent : zeros_like(like);
}

// One custom_call with identity-like forward rules given by `fwd` (applied
// to the tangent too: every boundary op is linear) and reverse rule `bwd`.
Tensor boundary(const char* name, const Tensor& x,
                std::function<Tensor(const Tensor&)> fwd,
                std::function<Tensor(const Tensor& x, const Tensor& ct)> bwd) {
  auto fn = std::make_shared<CustomFunction>();
  fn->name = name;
  fn->fwd = [fwd](std::span<const Tensor> in) {
    return TensorList{fwd(in[0])};
  };
  fn->bwd = [bwd](std::span<const Tensor> residuals,
                  std::span<const Tensor> cotangents) {
    return TensorList{bwd(residuals[0], cotangents[0])};
  };
  fn->jvp = [fwd](std::span<const Tensor> primals,
                  std::span<const Tensor> tangents) {
    return std::pair{TensorList{fwd(primals[0])}, TensorList{fwd(tangents[0])}};
  };
  const Tensor inputs[] = {x};
  return custom_call(std::move(fn), inputs)[0];
}

}  // namespace

ReplicationLevel::ReplicationLevel(dist::Group group)
    : Interpreter("dmap"), group_(std::move(group)), outer_(t_innermost) {
  t_innermost = this;
}

ReplicationLevel::~ReplicationLevel() { t_innermost = outer_; }

ReplicationLevel* ReplicationLevel::innermost() { return t_innermost; }

Tensor ReplicationLevel::wrap(Tensor inner, bool varying) const {
  Shape shape = inner.shape();
  const DType dtype = inner.dtype();
  return make_wrapper(std::move(inner), std::move(shape), dtype,
                      payload(varying));
}

Tensor ReplicationLevel::enter(const Tensor& x, bool varying) const {
  return wrap(x, varying);
}

bool ReplicationLevel::varies(const Tensor& x) const {
  const auto* r = dynamic_cast<const Replication*>(payload_of(x));
  return r != nullptr && r->varying;
}

Tensor ReplicationLevel::process(const OpCall& call) {
  std::vector<Tensor> inner;
  inner.reserve(call.inputs.size());
  bool any_varies = false;
  for (const Tensor& t : call.inputs) {
    any_varies = any_varies || varies(t);
    inner.push_back(unwrap(t));
  }
  Tensor out = dispatch(call.prim, call.attrs, std::span<const Tensor>(inner));
  return wrap(std::move(out), result_varies(call, group_.get(), any_varies));
}

Tensor ReplicationLevel::concrete(const Tensor& wrapper, std::string_view) {
  return unwrap(wrapper);
}

Tensor replicated_argument(const Tensor& x, const dist::Group& group) {
  return boundary(
      "dmap replicated argument", x, [](const Tensor& v) { return v; },
      [group](const Tensor& v, const Tensor& ct) {
        // Every rank calls it (zeros where its cotangent is zero), so the
        // ranks' collective calls stay in step.
        return dist::all_reduce(defined_or_zeros(ct, v), group);
      });
}

Tensor shard_argument(const Tensor& x, int64_t dim, const dist::Group& group) {
  const int rank = group->rank();
  return boundary(
      "dmap shard", x,
      [dim, rank](const Tensor& v) { return select(v, dim, rank); },
      [dim, group, rank](const Tensor& v, const Tensor& ct) {
        const Tensor mine = defined_or_zeros(ct, select(v, dim, rank));
        return dist::all_gather(unsqueeze(mine, dim), group, dim);
      });
}

Tensor result(const Tensor& y, const dist::Group& group) {
  const double n = group->size();
  return boundary(
      "dmap result", y, [](const Tensor& v) { return v; },
      [n](const Tensor& v, const Tensor& ct) {
        return defined_or_zeros(ct, v) / n;
      });
}

}  // namespace fnx::dist_internal

namespace fnx::dist {

bool varies(const Tensor& x) {
  const dist_internal::ReplicationLevel* level =
      dist_internal::ReplicationLevel::innermost();
  return level != nullptr && level->varies(x);
}

}  // namespace fnx::dist
