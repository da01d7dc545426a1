// How the MPI library (//transforms/distributed:mpi) plugs into the dist
// library without the dist library naming MPI: at static initialization it
// hands over the functions that make the world group and end the job.
#pragma once

#include "transforms/distributed/process_group.h"

namespace fnx::dist_internal {

struct TransportHooks {
  const char* name;  // "MPI"
  dist::Group (*make_world)();
  // Ends every process of the job (MPI_Abort) with `code`.
  [[noreturn]] void (*abort_job)(int code);
};

// Called once by the transport library; null when none is linked.
void set_transport(const TransportHooks* hooks);
const TransportHooks* transport();

}  // namespace fnx::dist_internal
