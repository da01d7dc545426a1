// What the MPI group's files share: error checking of MPI calls, element
// types, host buffers, and the debug mode's call signature.
#pragma once

#include <mpi.h>

#include <span>
#include <string>
#include <utility>

#include "core/collective.h"
#include "core/tensor.h"

namespace fnx::dist_internal {

// Throws fnx::Error "[dist] <what> failed on rank R: <MPI's message>" when
// an MPI call returns an error (communicators use MPI_ERRORS_RETURN).
void check_mpi(int code, const char* what, MPI_Comm comm);

MPI_Datatype mpi_type(DType dtype);
// Bool has no MPI_MAX: logical or / and stand for max / min.
MPI_Op mpi_op(ReduceOp op, DType dtype);

// The bytes of a dense contiguous CPU tensor (the MPI group moves host
// memory; fnx::Error naming the collective otherwise).
char* host_bytes(const Tensor& t, const char* collective);
std::size_t nbytes(const Tensor& t);

// FNX_DIST_DEBUG=1: before each collective the ranks all-gather what they
// are about to call and throw fnx::Error on every rank when the calls
// differ (op, shape, dtype, root, pairs), instead of hanging or mixing
// buffers.
bool debug_mode();
void check_same_call(MPI_Comm comm, const std::string& group_name,
                     const char* collective, ReduceOp op, const Tensor& in,
                     int root, std::span<const std::pair<int, int>> pairs);

}  // namespace fnx::dist_internal
