// Failure handling across ranks: an error on one rank ends the whole job
// (never a hang in the others' next collective). Under MPI, dist::init()
// installs a terminate handler, so an exception escaping main prints
// "[dist] rank R: <error>" and aborts the job (MPI_Abort: mpirun kills
// every rank). dist::run does the same for an exception escaping `body`,
// and returns body's exit code otherwise.
#pragma once

#include <functional>
#include <string_view>

namespace fnx::dist {

int run(const std::function<int()>& body);

// Prints "[dist] rank R: <message>" to stderr and ends the job with
// exit code 1 (a single process just exits).
[[noreturn]] void abort_job(std::string_view message);

}  // namespace fnx::dist
