// The group of one process: rank 0 of 1. Every collective copies its input
// (a sum, max or min over one rank is the value itself), ppermute keeps
// x only where a pair sends rank 0 to itself, and the background
// all-reduce is already done.
#include <cstring>

#include "core/error.h"
#include "core/storage.h"
#include "core/tensor.h"
#include "transforms/distributed/process_group.h"

namespace fnx::dist {
namespace {

char* bytes_of(const Tensor& t) {
  return static_cast<char*>(t.impl()->storage->data()) +
         t.offset() * itemsize(t.dtype());
}

void copy_whole(const Tensor& in, const Tensor& out) {
  FNX_CHECK(in.device().type == DeviceType::CPU, "dist",
            "the single-process group moves host memory; got a tensor on ",
            in.device().str());
  const std::size_t n =
      static_cast<std::size_t>(out.numel()) * itemsize(out.dtype());
  if (n > 0) std::memcpy(bytes_of(out), bytes_of(in), n);
}

class SingleProcessGroup final : public ProcessGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string describe() const override { return "single process"; }
  void all_reduce(const Tensor& in, const Tensor& out,
                  ReduceOp) const override {
    copy_whole(in, out);
  }
  void all_gather(const Tensor& in, const Tensor& out) const override {
    copy_whole(in, out);
  }
  void reduce_scatter(const Tensor& in, const Tensor& out,
                      ReduceOp) const override {
    copy_whole(in, out);
  }
  void broadcast(const Tensor& in, const Tensor& out, int) const override {
    copy_whole(in, out);
  }
  void permute(const Tensor& in, const Tensor& out,
               std::span<const std::pair<int, int>> pairs) const override {
    if (!pairs.empty()) {
      copy_whole(in, out);  // the only valid pair is (0, 0)
      return;
    }
    const std::size_t n =
        static_cast<std::size_t>(out.numel()) * itemsize(out.dtype());
    if (n > 0) std::memset(bytes_of(out), 0, n);
  }
  Group split(int, int) const override { return single_process_group(); }
  std::function<void()> start_all_reduce(const Tensor&,
                                         ReduceOp) const override {
    return [] {};
  }
};

}  // namespace

Group single_process_group() {
  static const Group group = std::make_shared<SingleProcessGroup>();
  return group;
}

}  // namespace fnx::dist
