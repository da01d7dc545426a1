// cuda_sim's streams and events: work runs when the host waits for it
// (runtime_state.h).
#include "runtime_state.h"

using cuda_sim::detail::fail;
using cuda_sim::detail::state;

// ---- streams and events ----

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned /*f*/) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (s.device_count <= 0) return fail(cudaErrorNoDevice);
  auto* st = new CUstream_st;
  st->device = cuda_sim::detail::device;
  s.streams.insert(st);
  *stream = st;
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  return cudaStreamCreateWithFlags(stream, cudaStreamDefault);
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (stream == nullptr || s.streams.erase(stream) == 0) {
    return fail(cudaErrorInvalidResourceHandle);
  }
  cuda_sim::detail::run_stream(stream);  // pending work still completes
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  CUstream_st* st = cuda_sim::detail::resolve(stream);
  if (s.streams.count(st) == 0) return fail(cudaErrorInvalidResourceHandle);
  cuda_sim::detail::run_stream(st);
  return cuda_sim::detail::sticky_status();
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned /*f*/) {
  *event = new CUevent_st;
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  return cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  CUstream_st* st = cuda_sim::detail::resolve(stream);
  event->stream = st;
  event->position = st->enqueued;
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (event->stream != nullptr) {
    cuda_sim::detail::run_until(event->stream, event->position);
  }
  return cuda_sim::detail::sticky_status();
}
