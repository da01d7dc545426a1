// The "functionalize" rule table: one entry per primitive, by family. Only
// copy_ (CopyInto) writes; the View family aliases; Creation and Random
// make new functional tensors; everything else is pure.
#include "core/plugin.h"
#include "core/primitive.h"
#include "transforms/functionalize/functional_interpreter.h"

namespace fnx::functionalize_internal {
namespace {

constexpr FunctionalizeRule kPure{RuleKind::pure};
constexpr FunctionalizeRule kView{RuleKind::view};
constexpr FunctionalizeRule kWrite{RuleKind::write};
constexpr FunctionalizeRule kSource{RuleKind::source};
constexpr FunctionalizeRule kHigherOrder{RuleKind::higher_order};

const FunctionalizeRule* rule_for(Prim prim) {
  if (prim == Prim::CopyInto) return &kWrite;
  switch (prim_info(prim).family) {
    case PrimFamily::View:
      return &kView;
    case PrimFamily::Creation:
    case PrimFamily::Random:
      return &kSource;
    case PrimFamily::HigherOrder:
      return &kHigherOrder;
    default:
      return &kPure;
  }
}

}  // namespace

FNX_REGISTER_PLUGIN("functionalize") {
  for (int i = 0; i < kNumPrims; ++i) {
    r.rule(kFunctionalizeTable, prim_at(i),
           static_cast<const void*>(rule_for(prim_at(i))));
  }
}

}  // namespace fnx::functionalize_internal
