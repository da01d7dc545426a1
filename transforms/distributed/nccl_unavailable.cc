// nccl_group in a build without --config=cuda.
#include "core/error.h"
#include "transforms/distributed/nccl.h"

namespace fnx::dist {

Group nccl_group(const Group&, Device) {
  fail("dist::nccl_group",
       "fnx was built without CUDA; build with --config=cuda for NCCL groups");
}

}  // namespace fnx::dist
