#!/usr/bin/python3
"""Jacobians, Hessians and hvp: fnx next to functorch (Debian's
python3-torch 1.13) on the same machine, in one run. The workloads are the
functorch jacobians/hessians tutorial's, in float32:

  - jacrev and jacfwd of predict(W, b, x) = tanh(W x + b) w.r.t. x for
    16 -> 16, 32 -> 2048 and 2048 -> 32 (input -> output features);
  - hessian of predict w.r.t. x at 512 -> 32;
  - the batched Jacobian vmap(jacrev(predict), in_dims=(None, None, 0)) over
    64 examples, 31 -> 33 features (and with jacfwd);
  - hvp of sum(sin(x)) and of sum(tanh(x)^2) on R^2048 as jvp(grad(f))
    (forward-over-reverse);
  - jvp of predict at D = 16 and 512.

    bazel build --config=opt //tests/benchmarks:jvp_benchmark
    /usr/bin/python3 tests/benchmarks/jacobians_vs_functorch.py \
        [path/to/jvp_benchmark]

Both sides use 2 threads. They run in alternating rounds and each keeps its
best time, so that load from other processes on a shared machine biases
neither side. The goal: fnx faster on every row (ratio below 1). Row names
are fnx's, sizes input first: Jacrev/in:32/out:2048 is R^32 -> R^2048.
peers_compare.py runs most of these next to torch.func 2.x and JAX too.
"""
import json
import os
import subprocess
import sys
import timeit

import torch
import torch.nn.functional as F
from functorch import grad, hessian, jacfwd, jacrev, jvp, vmap

THREADS = 2
ROUNDS = 3


def best_time(fn, seconds=0.3, repeat=5):
    fn()  # warm-up
    number = max(1, int(seconds / max(timeit.timeit(fn, number=1), 1e-7)))
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def predict(w, b, x):
    return torch.tanh(F.linear(x, w, b))


def layer(din, dout, batch=0):
    g = torch.Generator().manual_seed(0)
    w = torch.randn(dout, din, generator=g)
    b = torch.randn(dout, generator=g)
    x = torch.randn((batch, din) if batch else (din,), generator=g)
    return w, b, x


def functorch_rows():
    """name -> a callable running the workload once (names as fnx's)."""
    rows = {}
    for din, dout in ((16, 16), (32, 2048), (2048, 32)):
        w, b, x = layer(din, dout)
        rows[f"Jacrev/in:{din}/out:{dout}"] = (
            lambda w=w, b=b, x=x: jacrev(predict, argnums=2)(w, b, x))
        rows[f"Jacfwd/in:{din}/out:{dout}"] = (
            lambda w=w, b=b, x=x: jacfwd(predict, argnums=2)(w, b, x))
    w, b, x = layer(512, 32)
    rows["Hessian/in:512/out:32"] = lambda: hessian(predict, argnums=2)(
        w, b, x)
    wb, bb, xb = layer(31, 33, batch=64)
    rows["BatchedJacrev/batch:64/in:31/out:33"] = lambda: vmap(
        jacrev(predict, argnums=2), in_dims=(None, None, 0))(wb, bb, xb)
    rows["BatchedJacfwd/batch:64/in:31/out:33"] = lambda: vmap(
        jacfwd(predict, argnums=2), in_dims=(None, None, 0))(wb, bb, xb)
    g = torch.Generator().manual_seed(0)
    xh, vh = torch.randn(2048, generator=g), torch.randn(2048, generator=g)

    def f(t):
        return t.sin().sum()

    def f_tanh_sq(t):
        u = t.tanh()
        return (u * u).sum()

    rows["HvpSumSin/in:2048"] = lambda: jvp(grad(f), (xh,), (vh,))[1]
    rows["HvpSumTanhSq/in:2048"] = (
        lambda: jvp(grad(f_tanh_sq), (xh,), (vh,))[1])
    for d in (16, 512):
        wm, bm, xm = layer(d, d)
        tm = torch.ones_like(xm)
        rows[f"MlpJvp/{d}"] = (
            lambda wm=wm, bm=bm, xm=xm, tm=tm:
            jvp(lambda t: predict(wm, bm, t), (xm,), (tm,)))
    return rows


def check_agreement():
    """The two libraries compute the same thing (spot check, float32)."""
    w, b, x = layer(16, 16)
    jr = jacrev(predict, argnums=2)(w, b, x)
    jf = jacfwd(predict, argnums=2)(w, b, x)
    assert torch.allclose(jr, jf, atol=1e-5)


def fnx_times(binary):
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS),
               OPENBLAS_NUM_THREADS=str(THREADS))
    out = subprocess.run(
        [binary, "--benchmark_format=json", "--benchmark_repetitions=3"],
        check=True, capture_output=True, text=True, env=env).stdout
    times = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        scale = {"s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[b["time_unit"]]
        key = b["run_name"].replace("BM_", "")
        t = b["real_time"] * scale
        times[key] = min(times.get(key, t), t)
    return times


def fmt(t):
    return f"{t * 1e3:9.2f}ms" if t >= 1e-3 else f"{t * 1e6:9.1f}us"


def main():
    binary = (sys.argv[1] if len(sys.argv) > 1 else
              "bazel-bin/tests/benchmarks/jvp_benchmark")
    torch.set_num_threads(THREADS)
    check_agreement()
    rows = functorch_rows()
    fnx, ft = {}, {}
    for _ in range(ROUNDS):
        for key, t in fnx_times(binary).items():
            fnx[key] = min(fnx.get(key, t), t)
        for key, run in rows.items():
            t = best_time(run)
            ft[key] = min(ft.get(key, t), t)
    print(f"{THREADS} threads, float32, torch {torch.__version__}, best of "
          f"{ROUNDS} alternating rounds (functorch includes Python's per-op "
          f"cost)")
    print(f"{'workload':36} {'fnx':>11} {'functorch':>11} "
          f"{'fnx/functorch':>14}")
    slower = []
    for key in rows:
        ratio = fnx[key] / ft[key]
        if ratio >= 1:
            slower.append(key)
        print(f"{key:36} {fmt(fnx[key])} {fmt(ft[key])} {ratio:13.2f}x")
    for key in sorted(set(fnx) - set(rows)):
        print(f"{key:36} {fmt(fnx[key])} {'':>11} (fnx only)")
    print("goal: fnx faster on every row: " +
          ("met" if not slower else "NOT met on " + ", ".join(slower)))


if __name__ == "__main__":
    main()
