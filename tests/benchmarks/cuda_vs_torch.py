#!/usr/bin/env python3
"""fnx's CUDA backend next to PyTorch 2.x (torch.func) on the same GPU.

    bazel build --config=cuda --config=opt //tests/benchmarks:cuda_benchmark
    python3 tests/benchmarks/cuda_vs_torch.py bazel-bin/tests/benchmarks/cuda_benchmark

Runs the fnx benchmark binary (Google Benchmark, JSON) and the same
workloads in PyTorch, then prints one table and a JSON line:
  - per-sample gradients of the torch.func tutorial CNN (conv 1->32 3x3,
    conv 32->64 3x3, max_pool 2, linear 9216->128, linear 128->10,
    log_softmax + nll_loss), batch 64 and 512: fnx vmap(grad) against
    torch.func.vmap(grad), float32, TF32 off on both sides;
  - SGEMM 4096 and 8192: fnx::matmul against cublasSgemm called directly
    (goal: ratio >= 0.95) and against torch.mm; fraction of the H100's
    67 TFLOP/s FP32 peak;
  - add of 2^28 floats: bytes moved per second as a fraction of the
    device's peak memory bandwidth (goal >= 0.8), next to torch's add and a
    device-to-device cudaMemcpy;
  - max pooling, softmax and log_softmax over rows, and sum(x, 0) of a
    (32768, 4096) matrix, next to torch.
Without torch (or without a GPU for it) the torch columns say so and the
fnx figures are still printed.
"""
import json
import subprocess
import sys
import time

H100_FP32_PEAK = 67e12


def run_fnx(binary):
    try:
        out = subprocess.run(
            [binary, "--benchmark_format=json", "--benchmark_min_time=0.5"],
            check=False, capture_output=True, text=True)
    except OSError as e:
        print("cannot run the fnx benchmark %s: %s" % (binary, e),
              file=sys.stderr)
        return {}
    if out.returncode != 0:
        print(out.stderr[-4000:], file=sys.stderr)
    try:
        data = json.loads(out.stdout)
    except json.JSONDecodeError:
        print("fnx benchmark output is not JSON:\n" + out.stdout[-4000:],
              file=sys.stderr)
        return {}
    results = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            results[b["name"]] = {"error": b.get("error_message", "error")}
            continue
        unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
        results[b["name"]] = dict(b, seconds=b["real_time"] * unit)
    return results


def best_time(fn, sync, number, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def run_torch():
    try:
        import torch
        import torch.nn.functional as F
        from torch.func import grad, vmap
        from torch_tutorial_cnn import example_loss, make_params
    except Exception as e:  # noqa: BLE001
        return {"error": "torch unavailable: %s" % e}
    if not torch.cuda.is_available():
        return {"error": "torch sees no CUDA device"}
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    sync = torch.cuda.synchronize
    out = {"torch": torch.__version__,
           "gpu": torch.cuda.get_device_name(0)}

    torch.manual_seed(0)
    params = make_params(dev)
    per_sample = vmap(grad(example_loss), in_dims=(None, 0, 0))
    for batch in (64, 512):
        x = torch.randn(batch, 1, 28, 28, device=dev)
        t = torch.randint(0, 10, (batch,), device=dev)
        per_sample(params, x, t)
        out["cnn_%d" % batch] = best_time(
            lambda: per_sample(params, x, t), sync, number=5)

    for n in (4096, 8192):
        a = torch.randn(n, n, device=dev)
        b = torch.randn(n, n, device=dev)
        torch.mm(a, b)
        out["sgemm_%d" % n] = best_time(lambda: torch.mm(a, b), sync,
                                        number=5 if n == 4096 else 2)

    x = torch.randn(512, 64, 24, 24, device=dev)
    g = torch.randn(512, 64, 12, 12, device=dev)
    out["max_pool_fwd"] = best_time(lambda: F.max_pool2d(x, 2), sync,
                                    number=10)
    xr = x.clone().requires_grad_()

    def pool_fwd_bwd():
        F.max_pool2d(xr, 2).backward(g)
        xr.grad = None

    pool_fwd_bwd()
    out["max_pool_fwd_bwd"] = best_time(pool_fwd_bwd, sync, number=10)
    logits = torch.randn(4096, 1000, device=dev)
    out["log_softmax_rows"] = best_time(lambda: F.log_softmax(logits, 1), sync,
                                        number=10)
    out["softmax_rows"] = best_time(lambda: F.softmax(logits, 1), sync,
                                    number=10)
    rows = torch.ones(32768, 4096, device=dev)
    rows.sum(0)
    out["sum_over_rows"] = best_time(lambda: rows.sum(0), sync, number=10)
    del rows

    n = 1 << 28
    a = torch.ones(n, device=dev)
    b = torch.ones(n, device=dev)
    a + b
    out["add"] = best_time(lambda: a + b, sync, number=10)
    return out


def fmt(seconds):
    return "%9.3f ms" % (seconds * 1e3) if seconds else "      n/a"


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else \
        "bazel-bin/tests/benchmarks/cuda_benchmark"
    fnx = run_fnx(binary)
    torch_r = run_torch()

    def fnx_s(name):
        r = fnx.get(name, {})
        return r.get("seconds")

    rows = []
    print("\n== per-sample gradients, tutorial CNN (vmap(grad)) ==")
    for batch in (64, 512):
        name = "BM_FnxPerSampleGradCnn/%d/real_time" % batch
        f = fnx_s(name)
        kernels = fnx.get(name, {}).get("kernels")
        t = torch_r.get("cnn_%d" % batch)
        ratio = (t / f) if f and t else None
        print("batch %4d   fnx %s (%s kernels)   torch.func %s   torch/fnx %s"
              % (batch, fmt(f), "%.0f" % kernels if kernels else "n/a",
                 fmt(t), "%.2fx" % ratio if ratio else "n/a"))
        rows.append({"workload": "cnn_per_sample_%d" % batch, "fnx_s": f,
                     "fnx_kernels": kernels, "torch_s": t,
                     "torch_over_fnx": ratio})

    print("\n== SGEMM (float32, TF32 off) ==")
    for n in (4096, 8192):
        f = fnx_s("BM_FnxSgemm/%d/real_time" % n)
        c = fnx_s("BM_CublasSgemm/%d/real_time" % n)
        t = torch_r.get("sgemm_%d" % n)
        flops = 2.0 * n ** 3
        ratio = (c / f) if f and c else None
        print("n %5d   fnx %s (%.1f TFLOP/s, %.0f%% of 67)   cuBLAS %s   "
              "fnx/cuBLAS speed %s (goal >= 0.95)   torch %s" % (
                  n, fmt(f), flops / f * 1e-12 if f else 0,
                  100 * flops / f / H100_FP32_PEAK if f else 0, fmt(c),
                  "%.3f" % ratio if ratio else "n/a", fmt(t)))
        rows.append({"workload": "sgemm_%d" % n, "fnx_s": f, "cublas_s": c,
                     "torch_s": t, "fnx_vs_cublas": ratio,
                     "fnx_tflops": flops / f * 1e-12 if f else None,
                     "peak_frac": flops / f / H100_FP32_PEAK if f else None})

    print("\n== add of 2^28 floats (2 reads + 1 write) ==")
    add = fnx.get("BM_FnxAdd/real_time", {})
    copy = fnx.get("BM_CudaMemcpyD2D/real_time", {})
    f = add.get("seconds")
    peak = add.get("peak_GBps")
    bytes_moved = 3 * 4 * (1 << 28)
    t = torch_r.get("add")
    print("fnx %s  %.0f GB/s = %.1f%% of peak %s GB/s (goal >= 80%%)   "
          "cudaMemcpy D2D %.1f%% of peak   torch %s (%.1f%% of peak)" % (
              fmt(f), bytes_moved / f * 1e-9 if f else 0,
              100 * add.get("hbm_frac", 0), "%.0f" % peak if peak else "?",
              100 * copy.get("hbm_frac", 0), fmt(t),
              100 * bytes_moved / t / (peak * 1e9) if t and peak else 0))
    rows.append({"workload": "add_2^28", "fnx_s": f, "torch_s": t,
                 "hbm_frac": add.get("hbm_frac"),
                 "memcpy_hbm_frac": copy.get("hbm_frac"), "peak_GBps": peak})

    print("\n== max pooling 2x2 of (512, 64, 24, 24), (log_)softmax of "
          "(4096, 1000) rows ==")
    for name, fnx_name, torch_name in (
            ("max_pool forward", "BM_FnxMaxPool/0/real_time", "max_pool_fwd"),
            ("max_pool fwd+grad", "BM_FnxMaxPool/1/real_time",
             "max_pool_fwd_bwd"),
            ("log_softmax rows", "BM_FnxSoftmaxRows/0/real_time",
             "log_softmax_rows"),
            ("softmax rows", "BM_FnxSoftmaxRows/1/real_time",
             "softmax_rows")):
        f = fnx_s(fnx_name)
        t = torch_r.get(torch_name)
        ratio = (t / f) if f and t else None
        print("%-18s fnx %s   torch %s   torch/fnx %s" % (
            name, fmt(f), fmt(t), "%.2fx" % ratio if ratio else "n/a"))
        rows.append({"workload": torch_name, "fnx_s": f, "torch_s": t,
                     "torch_over_fnx": ratio})

    print("\n== sum over the rows of a (32768, 4096) matrix (results adjacent "
          "in memory) ==")
    red = fnx.get("BM_FnxSumOverRows/real_time", {})
    f = red.get("seconds")
    t = torch_r.get("sum_over_rows")
    ratio = (t / f) if f and t else None
    print("sum(x, 0)          fnx %s (%.1f%% of peak)   torch %s   "
          "torch/fnx %s" % (fmt(f), 100 * red.get("hbm_frac", 0), fmt(t),
                            "%.2fx" % ratio if ratio else "n/a"))
    rows.append({"workload": "sum_over_rows", "fnx_s": f, "torch_s": t,
                 "torch_over_fnx": ratio, "hbm_frac": red.get("hbm_frac")})

    if "error" in torch_r:
        print("\ntorch: " + torch_r["error"])
    else:
        print("\ntorch %s on %s" % (torch_r["torch"], torch_r["gpu"]))
    errors = {k: v["error"] for k, v in fnx.items() if "error" in v}
    if errors:
        print("fnx benchmark errors: %s" % errors)
    print("\nJSON " + json.dumps({"rows": rows, "torch": torch_r.get("torch"),
                                  "gpu": torch_r.get("gpu")}))
    # Exit status: 1 when a fnx figure is missing (the binary failed, or a
    # benchmark reported an error), so the device run says so.
    return 1 if errors or not fnx else 0


if __name__ == "__main__":
    sys.exit(main())
