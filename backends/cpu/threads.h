// The number of threads fnx's CPU kernels use (torch.set_num_threads):
// elementwise loops, reductions, GEMM and convolutions split their work over
// this many threads (the caller and set_num_threads() - 1 pool workers).
// The default is every hardware thread, or FNX_NUM_THREADS (else
// OMP_NUM_THREADS) when set in the environment before the first parallel
// op; an unusable value there is ignored with a one-line warning.
#pragma once

namespace fnx {

// An fnx::Error ("[set_num_threads] ...") unless 1 <= n <= 1024. Takes
// effect at the next parallel op; running ops finish with the old count.
void set_num_threads(int n);
int get_num_threads();

}  // namespace fnx
