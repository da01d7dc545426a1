#!/usr/bin/python3
"""The same workloads as the fnx benchmarks, in PyTorch (Debian's
python3-torch 1.13), for side-by-side figures on one machine.

    /usr/bin/python3 tests/benchmarks/torch_compare.py
    bazel run --config=opt //tests/benchmarks:dispatch_benchmark
    bazel run --config=opt //tests/benchmarks:matmul_benchmark
    bazel run --config=opt //tests/benchmarks:conv_benchmark

torch's eager Python adds interpreter overhead to each op; the dispatch
figure here is therefore an upper bound on torch's own C++ dispatch.
"""
import os
import timeit

import torch


def best_time(fn, number, repeat=5):
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main():
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    a, b = torch.ones(1), torch.ones(1)
    t = best_time(lambda: torch.add(a, b), 200000)
    print(f"add of two 1-element tensors: {t * 1e9:.0f} ns/op")

    for n in (256, 1024, 2048):
        x, y = torch.randn(n, n), torch.randn(n, n)
        t = best_time(lambda: torch.matmul(x, y), 3 if n == 2048 else 20)
        print(f"matmul {n}: {t * 1e3:.3f} ms, {2 * n**3 / t / 1e9:.1f} GFLOP/s")

    batch, k = 64, 3
    for c_in, c_out, hw in ((1, 32, 28), (32, 64, 26)):
        x = torch.randn(batch, c_in, hw, hw)
        w = torch.randn(c_out, c_in, k, k)
        out = hw - k + 1
        gy = torch.randn(batch, c_out, out, out)
        flops = 2.0 * batch * c_out * out * out * c_in * k * k
        fwd = best_time(lambda: torch.nn.functional.conv2d(x, w), 10)
        gin = best_time(lambda: torch.nn.grad.conv2d_input(x.shape, w, gy), 10)
        gw = best_time(lambda: torch.nn.grad.conv2d_weight(x, w.shape, gy), 10)
        for name, t in (("forward", fwd), ("input grad", gin), ("weight grad", gw)):
            print(f"conv {c_in}->{c_out} {name}: {t * 1e3:.3f} ms, "
                  f"{flops / t / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
