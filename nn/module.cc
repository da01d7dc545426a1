#include "nn/module.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/shape.h"
#include "core/str_cat.h"
#include "nn/functional_call.h"

namespace fnx::nn {
namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

Tensor Module::forward(const Tensor&) {
  fail(str_cat("nn.", type_name_), "this module has no single-tensor forward;"
       " call its own forward (or functional_call) with its arguments");
}

void Module::check_new_name(std::string_view name,
                            std::string_view what) const {
  const std::string op = str_cat("nn.", type_name_);
  FNX_CHECK(!name.empty(), op, what, " name is empty");
  FNX_CHECK(name.find('.') == std::string_view::npos, op, what, " name \"",
            name, "\" contains a dot");
  bool taken = params_.contains(name) || buffers_.contains(name);
  for (const auto& [n, m] : children_) taken = taken || n == name;
  FNX_CHECK(!taken, op, what, " name \"", name, "\" is already registered");
}

void Module::register_parameter(std::string_view name, Tensor value) {
  check_new_name(name, "parameter");
  params_.insert_or_assign(name, std::move(value));
}

void Module::register_buffer(std::string_view name, Tensor value) {
  check_new_name(name, "buffer");
  buffers_.insert_or_assign(name, std::move(value));
}

void Module::add_child(std::string_view name, std::shared_ptr<Module> module) {
  FNX_CHECK(module != nullptr, str_cat("nn.", type_name_), "submodule \"",
            name, "\" is null");
  check_new_name(name, "submodule");
  children_.emplace_back(std::string(name), std::move(module));
}

namespace {

// A slot as this thread sees it: functional_call's substitute, if any.
const Tensor& visible(const Tensor& slot) {
  const Tensor* s = functional_internal::substituted(&slot);
  return s != nullptr ? *s : slot;
}

}  // namespace

const Tensor& Module::param(std::string_view name) const {
  const Tensor* t = params_.contains(name) ? &params_.at(name) : nullptr;
  FNX_CHECK(t != nullptr, str_cat("nn.", type_name_), "no parameter \"", name,
            "\"; parameters: ", params_.keys_str());
  return visible(*t);
}

const Tensor& Module::buffer(std::string_view name) const {
  const Tensor* t = buffers_.contains(name) ? &buffers_.at(name) : nullptr;
  FNX_CHECK(t != nullptr, str_cat("nn.", type_name_), "no buffer \"", name,
            "\"; buffers: ", buffers_.keys_str());
  return visible(*t);
}

void Module::collect(const std::string& prefix, bool params, bool buffers,
                     std::vector<const TensorImpl*>* seen,
                     ParamDict& out) const {
  auto add = [&](const std::string& n, const Tensor& slot) {
    const Tensor& t = visible(slot);
    if (seen != nullptr && t.defined()) {
      for (const TensorImpl* s : *seen) {
        if (s == t.impl()) return;
      }
      seen->push_back(t.impl());
    }
    out.insert_or_assign(prefix + n, t);
  };
  if (params) {
    for (const auto& [n, t] : params_) add(n, t);
  }
  if (buffers) {
    for (const auto& [n, t] : buffers_) add(n, t);
  }
  for (const auto& [n, m] : children_) {
    m->collect(str_cat(prefix, n, "."), params, buffers, seen, out);
  }
}

ParamDict Module::named_parameters() const {
  ParamDict out;
  std::vector<const TensorImpl*> seen;
  collect("", true, false, &seen, out);
  return out;
}

ParamDict Module::named_buffers() const {
  ParamDict out;
  std::vector<const TensorImpl*> seen;
  collect("", false, true, &seen, out);
  return out;
}

ParamDict Module::state_dict() const {
  ParamDict out;
  collect("", true, true, nullptr, out);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out = {{"", this}};
  for (const auto& [n, m] : children_) {
    for (auto& [sub, ptr] : m->named_modules()) {
      out.emplace_back(sub.empty() ? n : str_cat(n, ".", sub), ptr);
    }
  }
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, m] : children_) m->train(on);
}

const Module* Module::owner_of(std::string_view dotted,
                               std::string_view& leaf) const {
  const Module* m = this;
  while (true) {
    const std::size_t dot = dotted.find('.');
    if (dot == std::string_view::npos) {
      leaf = dotted;
      return m;
    }
    const std::string_view head = dotted.substr(0, dot);
    const Module* next = nullptr;
    for (const auto& [n, c] : m->children_) {
      if (n == head) next = c.get();
    }
    if (next == nullptr) return nullptr;
    m = next;
    dotted.remove_prefix(dot + 1);
  }
}

const Tensor* Module::slot_of(std::string_view dotted) const {
  std::string_view leaf;
  const Module* m = owner_of(dotted, leaf);
  if (m == nullptr) return nullptr;
  if (m->params_.contains(leaf)) return &m->params_.at(leaf);
  if (m->buffers_.contains(leaf)) return &m->buffers_.at(leaf);
  return nullptr;
}

const Tensor* Module::find_tensor(std::string_view dotted) const {
  const Tensor* slot = slot_of(dotted);
  return slot != nullptr ? &visible(*slot) : nullptr;
}

Tensor* Module::find_tensor(std::string_view dotted) {
  return const_cast<Tensor*>(std::as_const(*this).find_tensor(dotted));
}

bool Module::is_parameter(std::string_view dotted) const {
  std::string_view leaf;
  const Module* m = owner_of(dotted, leaf);
  return m != nullptr && m->params_.contains(leaf);
}

void Module::load_state_dict(const ParamDict& state, bool strict) {
  const std::string op = str_cat("nn.", type_name_, ".load_state_dict");
  const ParamDict own = state_dict();
  std::vector<std::string> missing, unexpected;
  for (const auto& [k, t] : own) {
    if (!state.contains(k)) missing.push_back(k);
  }
  for (const auto& [k, t] : state) {
    const Tensor* slot = find_tensor(k);
    if (slot == nullptr) {
      unexpected.push_back(k);
      continue;
    }
    FNX_CHECK(t.defined(), op, "value for \"", k, "\" is undefined");
    FNX_CHECK(t.shape() == slot->shape(), op, "shape mismatch for \"", k,
              "\": the module has ", shape_str(slot->shape()),
              ", the state has ", shape_str(t.shape()));
  }
  if (strict) {
    FNX_CHECK(missing.empty() && unexpected.empty(), op,
              "missing keys: {", join(missing), "}; unexpected keys: {",
              join(unexpected), "}");
  }
  for (const auto& [k, t] : state) {
    Tensor* slot = find_tensor(k);
    if (slot == nullptr) continue;
    slot->copy_(detach(t));
  }
}

}  // namespace fnx::nn
