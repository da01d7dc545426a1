// ParamDict: an ordered string -> Tensor map (torch's OrderedDict of
// parameters). Iteration follows insertion order, which is also the order in
// which tree_flatten (core/tree.h) lists its tensors. Keys cannot be changed
// through iteration; values can.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace fnx {

class ParamDict {
 public:
  using value_type = std::pair<const std::string, Tensor>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  ParamDict() = default;
  // Entries in the given order; a repeated name is an fnx::Error.
  ParamDict(std::initializer_list<std::pair<std::string, Tensor>> items);
  ParamDict(const ParamDict& other);
  ParamDict(ParamDict&& other) noexcept = default;
  ParamDict& operator=(const ParamDict& other);
  ParamDict& operator=(ParamDict&& other) noexcept = default;

  // The tensor under `name`, appending an undefined one when it is new.
  Tensor& operator[](std::string_view name);
  // Sets `name` to `value`: replaces in place (keeping its position) or
  // appends. Returns true when `name` was new.
  bool insert_or_assign(std::string_view name, Tensor value);

  // The tensor under `name`; an fnx::Error naming the key and listing the
  // keys present when it is missing.
  const Tensor& at(std::string_view name) const;
  Tensor& at(std::string_view name);

  bool contains(std::string_view name) const { return find(name) >= 0; }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  // Removes `name` (the others keep their order); false when it was absent.
  bool erase(std::string_view name);
  void clear();

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }

  // Keys in order.
  std::vector<std::string> keys() const;
  // Same keys in the same order (the values are not compared).
  bool same_keys(const ParamDict& other) const;
  // "{w, b}": the keys, for error messages.
  std::string keys_str() const;
  // "ParamDict{w: [3, 2] float32, b: [3] float32}".
  std::string str() const;

  void swap(ParamDict& other) noexcept;

 private:
  // Position of `name` in items_, or -1.
  std::ptrdiff_t find(std::string_view name) const;
  void append(std::string_view name, Tensor value);

  // The name -> position index is an absl::flat_hash_map kept out of this
  // header (it is included nearly everywhere); null in a moved-from dict.
  struct Index;
  struct IndexDeleter {
    void operator()(Index* index) const;
  };

  std::vector<value_type> items_;
  std::unique_ptr<Index, IndexDeleter> index_;
};

}  // namespace fnx
