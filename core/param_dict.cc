#include "core/param_dict.h"

#include "absl/container/flat_hash_map.h"
#include "core/error.h"
#include "core/str_cat.h"

namespace fnx {

struct ParamDict::Index {
  absl::flat_hash_map<std::string, std::size_t> positions;
};

void ParamDict::IndexDeleter::operator()(Index* index) const { delete index; }

namespace {

// Debian's abseil has its own string_view type: convert for lookups.
absl::string_view key(std::string_view name) {
  return absl::string_view(name.data(), name.size());
}

}  // namespace

ParamDict::ParamDict(
    std::initializer_list<std::pair<std::string, Tensor>> items) {
  items_.reserve(items.size());
  for (const auto& [name, value] : items) {
    FNX_CHECK(!contains(name), "ParamDict", "key '", name,
              "' appears twice in the initializer list");
    append(name, value);
  }
}

ParamDict::ParamDict(const ParamDict& other) : items_(other.items_) {
  if (other.index_ != nullptr) index_.reset(new Index(*other.index_));
}

ParamDict& ParamDict::operator=(const ParamDict& other) {
  if (this != &other) {
    ParamDict copy(other);
    swap(copy);
  }
  return *this;
}

std::ptrdiff_t ParamDict::find(std::string_view name) const {
  if (index_ == nullptr) return -1;
  auto it = index_->positions.find(key(name));
  return it == index_->positions.end()
             ? -1
             : static_cast<std::ptrdiff_t>(it->second);
}

void ParamDict::append(std::string_view name, Tensor value) {
  if (index_ == nullptr) {
    index_.reset(new Index);
    for (std::size_t i = 0; i < items_.size(); ++i) {
      index_->positions.emplace(items_[i].first, i);
    }
  }
  index_->positions.emplace(std::string(name), items_.size());
  items_.emplace_back(std::string(name), std::move(value));
}

Tensor& ParamDict::operator[](std::string_view name) {
  const std::ptrdiff_t i = find(name);
  if (i >= 0) return items_[i].second;
  append(name, Tensor());
  return items_.back().second;
}

bool ParamDict::insert_or_assign(std::string_view name, Tensor value) {
  const std::ptrdiff_t i = find(name);
  if (i >= 0) {
    items_[i].second = std::move(value);
    return false;
  }
  append(name, std::move(value));
  return true;
}

const Tensor& ParamDict::at(std::string_view name) const {
  const std::ptrdiff_t i = find(name);
  if (i < 0) {
    fail("ParamDict", "no key '", name, "'; the keys are ", keys_str());
  }
  return items_[i].second;
}

Tensor& ParamDict::at(std::string_view name) {
  return const_cast<Tensor&>(std::as_const(*this).at(name));
}

bool ParamDict::erase(std::string_view name) {
  const std::ptrdiff_t found = find(name);
  if (found < 0) return false;
  const auto removed = static_cast<std::size_t>(found);
  // The key is const, so the vector cannot shift its elements by
  // assignment: rebuild it without the removed entry.
  std::vector<value_type> kept;
  kept.reserve(items_.size() - 1);
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (i != removed) kept.emplace_back(std::move(items_[i]));
  }
  items_ = std::move(kept);
  index_->positions.erase(key(name));
  for (auto& [k, position] : index_->positions) {
    if (position > removed) --position;
  }
  return true;
}

void ParamDict::clear() {
  items_.clear();
  index_.reset();
}

std::vector<std::string> ParamDict::keys() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

bool ParamDict::same_keys(const ParamDict& other) const {
  if (items_.size() != other.items_.size()) return false;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].first != other.items_[i].first) return false;
  }
  return true;
}

std::string ParamDict::keys_str() const {
  std::string out = "{";
  for (std::size_t i = 0; i < items_.size(); ++i) {
    out += str_cat(i == 0 ? "" : ", ", items_[i].first);
  }
  out += "}";
  return out;
}

std::string ParamDict::str() const {
  std::string out = "ParamDict{";
  for (std::size_t i = 0; i < items_.size(); ++i) {
    const Tensor& t = items_[i].second;
    out += str_cat(i == 0 ? "" : ", ", items_[i].first, ": ");
    if (t.defined()) {
      out += str_cat(shape_str(t.shape()), " ", dtype_name(t.dtype()));
    } else {
      out += "undefined";
    }
  }
  out += "}";
  return out;
}

void ParamDict::swap(ParamDict& other) noexcept {
  items_.swap(other.items_);
  index_.swap(other.index_);
}

}  // namespace fnx
