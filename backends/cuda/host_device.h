// FNX_HD: a function the device kernels call that is also compiled for the
// host, so that host tests check the kernels' arithmetic on any machine.
#pragma once

#if defined(__CUDACC__)
#define FNX_HD __host__ __device__ __forceinline__
#else
#define FNX_HD inline
#endif
