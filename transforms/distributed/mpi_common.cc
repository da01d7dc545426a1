#include "transforms/distributed/mpi_common.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/storage.h"
#include "core/str_cat.h"

namespace fnx::dist_internal {

void check_mpi(int code, const char* what, MPI_Comm comm) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  int rank = -1;
  MPI_Comm_rank(comm, &rank);
  fail("dist", what, " failed on rank ", rank, ": ",
       std::string(text, static_cast<std::size_t>(length)));
}

MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::Bool:
      return MPI_C_BOOL;
    case DType::Int32:
      return MPI_INT32_T;
    case DType::Int64:
      return MPI_INT64_T;
    case DType::Float32:
      return MPI_FLOAT;
    case DType::Float64:
      return MPI_DOUBLE;
  }
  fail("dist", "no MPI type for ", dtype_name(dtype));
}

MPI_Op mpi_op(ReduceOp op, DType dtype) {
  const bool logical = dtype == DType::Bool;
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Mean:
      return MPI_SUM;
    case ReduceOp::Max:
      return logical ? MPI_LOR : MPI_MAX;
    case ReduceOp::Min:
      return logical ? MPI_LAND : MPI_MIN;
  }
  return MPI_SUM;
}

char* host_bytes(const Tensor& t, const char* collective) {
  FNX_CHECK(t.device().type == DeviceType::CPU, "dist", collective,
            ": the MPI group moves host memory, got a tensor on ",
            t.device().str(), "; move it with to(Device::cpu()) first");
  return static_cast<char*>(t.impl()->storage->data()) +
         t.offset() * itemsize(t.dtype());
}

std::size_t nbytes(const Tensor& t) {
  return static_cast<std::size_t>(t.numel()) * itemsize(t.dtype());
}

bool debug_mode() {
  static const bool on = [] {
    const char* v = std::getenv("FNX_DIST_DEBUG");
    return v != nullptr && std::strcmp(v, "0") != 0 && v[0] != '\0';
  }();
  return on;
}

namespace {

constexpr int kMaxRank = 8;

// One rank's call, fixed-size so that MPI_Allgather can compare them.
struct Signature {
  char collective[24] = {};
  int32_t op = 0, dtype = 0, root = 0, rank = 0;
  int64_t pairs_hash = 0;
  int64_t shape[kMaxRank] = {};
  int64_t numel = 0;

  bool same_call(const Signature& o) const {
    return std::strcmp(collective, o.collective) == 0 && op == o.op &&
           dtype == o.dtype && root == o.root && pairs_hash == o.pairs_hash &&
           rank == o.rank && numel == o.numel &&
           std::equal(std::begin(shape), std::end(shape), std::begin(o.shape));
  }
  std::string str() const {
    std::string dims;
    for (int d = 0; d < std::min(rank, kMaxRank); ++d) {
      dims += str_cat(d ? ", " : "", shape[d]);
    }
    if (rank > kMaxRank) dims += ", ...";
    const std::string_view name = collective;
    std::string detail;
    if (name == "all_reduce" || name == "reduce_scatter") {
      detail = str_cat("(", reduce_op_name(static_cast<ReduceOp>(op)), ")");
    } else if (name == "broadcast") {
      detail = str_cat("(root ", root, ")");
    } else if (name == "ppermute") {
      detail = str_cat("(pairs #", pairs_hash, ")");
    }
    return str_cat(name, detail, " ", dtype_name(static_cast<DType>(dtype)),
                   " [", dims, "]");
  }
};

}  // namespace

void check_same_call(MPI_Comm comm, const std::string& group_name,
                     const char* collective, ReduceOp op, const Tensor& in,
                     int root, std::span<const std::pair<int, int>> pairs) {
  Signature mine;
  std::strncpy(mine.collective, collective, sizeof(mine.collective) - 1);
  mine.op = static_cast<int32_t>(op);
  mine.dtype = static_cast<int32_t>(in.dtype());
  mine.root = root;
  mine.rank = static_cast<int32_t>(in.dim());
  for (int d = 0; d < std::min<int>(kMaxRank, in.dim()); ++d) {
    mine.shape[d] = in.shape()[d];
  }
  mine.numel = in.numel();
  for (const auto& [from, to] : pairs) {
    mine.pairs_hash = mine.pairs_hash * 1000003 + from * 1009 + to + 1;
  }
  int size = 0, me = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &me);
  std::vector<Signature> all(static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(&mine, sizeof(Signature), MPI_BYTE, all.data(),
                          sizeof(Signature), MPI_BYTE, comm),
            "the debug mode's signature exchange", comm);
  for (int r = 0; r < size; ++r) {
    if (all[r].same_call(mine)) continue;
    fail("dist", "collective mismatch in ", group_name, ": rank ", me,
         " calls ", mine.str(), " but rank ", r, " calls ", all[r].str(),
         "; every rank of a group must make the same collective calls in the "
         "same order");
  }
}

}  // namespace fnx::dist_internal
