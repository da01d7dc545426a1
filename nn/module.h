// nn::Module: torch.nn.Module in C++ spelling. A module owns named
// parameters, buffers and submodules; names nest with dots
// ("layers.0.weight"). Tensors are stored in ParamDicts, and layers read
// them by name at every call, so functional_call (nn/functional_call.h) can
// substitute other tensors for one call.
//
//   class Mlp : public nn::Module {
//    public:
//     explicit Mlp(Generator& gen) : Module("Mlp") {
//       fc1_ = register_module("fc1", std::make_shared<nn::Linear>(4, 8, gen));
//       // (or nn::Linear(4, 8): the default generator, fnx::manual_seed)
//       fc2_ = register_module("fc2", std::make_shared<nn::Linear>(8, 1, gen));
//     }
//     Tensor forward(const Tensor& x) override {
//       return (*fc2_)(relu((*fc1_)(x)));
//     }
//    private:
//     std::shared_ptr<nn::Linear> fc1_, fc2_;
//   };
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/param_dict.h"
#include "core/tensor.h"

namespace fnx::nn {

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  // Not copyable (two modules would share parameter handles without saying
  // so); movable, so modules can be returned, kept in a std::vector and
  // handed to Sequential or register_module by value. A moved-from module
  // is empty.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) noexcept = default;
  Module& operator=(Module&&) noexcept = default;

  // "Linear", "Sequential", ...: used in error messages.
  const std::string& type_name() const { return type_name_; }

  // The single-tensor forward every built-in layer has (and Sequential
  // chains). A module whose forward takes other arguments defines its own
  // and is called directly or through functional_call.
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Registration: a name is unique across the parameters, buffers and
  // submodules of one module and contains no dot.
  void register_parameter(std::string_view name, Tensor value);
  void register_buffer(std::string_view name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(std::string_view name,
                                     std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  // A module given by value (register_module("fc", nn::Linear(4, 8))) is
  // moved into a new shared_ptr, which is returned.
  template <typename M>
  requires std::derived_from<std::remove_cvref_t<M>, Module> &&
      (!std::is_lvalue_reference_v<M>)
          std::shared_ptr<std::remove_cvref_t<M>> register_module(
              std::string_view name, M&& module) {
    return register_module(
        name, std::make_shared<std::remove_cvref_t<M>>(std::move(module)));
  }

  // This module's own tensors (not its submodules'), by local name.
  const Tensor& param(std::string_view name) const;
  const Tensor& buffer(std::string_view name) const;
  bool has_param(std::string_view name) const { return params_.contains(name); }

  // Recursive, with dotted names: own entries first, then each submodule in
  // registration order (torch's order). A tensor registered under several
  // names (tied weights: the same Tensor handle) is listed once, under its
  // first name, as torch's remove_duplicate.
  ParamDict named_parameters() const;
  ParamDict named_buffers() const;
  // Parameters and buffers together, in torch's state_dict order (per
  // module: parameters, buffers, then submodules); tied tensors appear under
  // every name.
  ParamDict state_dict() const;
  // Copies `state` into this module's tensors in place (so ties are kept;
  // values are cast to each slot's dtype).
  // strict: missing and unexpected keys are errors; a shape mismatch is an
  // error either way. Nothing is modified when an error is reported.
  void load_state_dict(const ParamDict& state, bool strict = true);

  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>&
  named_children() const {
    return children_;
  }
  // Every module below this one, with dotted names ("" is this one).
  std::vector<std::pair<std::string, Module*>> named_modules();

  // Train / eval mode, set recursively.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // The parameter or buffer at a dotted name as this thread sees it (the
  // tensor a functional_call on this thread substitutes, else the module's
  // own); nullptr when absent. load_state_dict and BatchNorm's running
  // statistics write through it.
  Tensor* find_tensor(std::string_view dotted);
  const Tensor* find_tensor(std::string_view dotted) const;
  // The module's own slot at a dotted name, ignoring substitutions (what
  // functional_call substitutes); nullptr when absent.
  const Tensor* slot_of(std::string_view dotted) const;
  // Whether `dotted` names a parameter (true) or a buffer (false); only
  // meaningful when find_tensor(dotted) is not null.
  bool is_parameter(std::string_view dotted) const;

 protected:
  // Removes a buffer (torch's `del module.name`); false when absent.
  bool unregister_buffer(std::string_view name) { return buffers_.erase(name); }

 private:
  void add_child(std::string_view name, std::shared_ptr<Module> module);
  void check_new_name(std::string_view name, std::string_view what) const;
  // Appends the tensors with prefixed names; with `seen`, skips tensors
  // already listed (and records the new ones).
  void collect(const std::string& prefix, bool params, bool buffers,
               std::vector<const TensorImpl*>* seen, ParamDict& out) const;
  // The module owning the last component of `dotted`, and that component.
  const Module* owner_of(std::string_view dotted, std::string_view& leaf) const;

  std::string type_name_;
  bool training_ = true;
  ParamDict params_;
  ParamDict buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace fnx::nn
