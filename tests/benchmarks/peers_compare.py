#!/usr/bin/env python3
"""fnx side by side with its peers on the same workloads, on one machine.

    python3 tests/benchmarks/peers_compare.py [--rounds 5] [--threads 2]
        [--only REGEX] [--skip-setup] [--frameworks fnx,functorch,torch2,jax,numpy]
        [--checksums]

Frameworks (each a column):
  fnx        the Google Benchmark binaries (bazel build --config=opt), run with
             --benchmark_filter and --benchmark_format=json;
  functorch  functorch 1.13 (Debian's python3-torch, /usr/bin/python3);
  torch2     torch.func from PyPI's torch 2.x, in a venv of its own;
  jax        jax.jit-compiled JAX (PyPI jax[cpu]), in a venv of its own;
  numpy      the rows without a transform (NUMPY_ROWS: SGEMM and the
             linalg_* decompositions and solve), in Debian's numpy on its
             OpenBLAS (the library fnx links), multi-threaded.

Rows of compile (COMPILED_ROWS: the Jacobians, gelu, the tiny chain and the
training steps of issue 21) put eager and compiled fnx each beside the same
jitted JAX call and no other peer; copy_32x1000x4096_bandwidth (fnx only)
is the memory-bandwidth limit of gelu's pass:

    python3 tests/benchmarks/peers_compare.py --skip-setup --frameworks \
        fnx,jax --only 'gelu|copy_|tiny_chain|_step_|_compiled'

Every framework gets the same thread count (--threads, default 2): the
environment (FNX_NUM_THREADS, OMP/MKL/OPENBLAS_NUM_THREADS, XLA_FLAGS),
torch.set_num_threads, and the CPU affinity of its process (the first N
cores) when N is below the machine's core count. The frameworks run
interleaved in rounds (fnx, functorch, torch2, jax, numpy, fnx, ...), each in
a fresh process, and before each round the script waits (at most
--load-timeout seconds, then goes on with a warning) for the machine to be
quiet. Each round gives --samples samples per workload and framework: after a
warm-up, a sample times as many calls as fill --min-time seconds and keeps the
time per call. The table shows, per framework, the min and the median over all
samples (ms per call), then fnx's min over the fastest peer's min and over
functorch's min.

The functions are the same everywhere (float32, same shapes, same math; see
the workload table WORKLOADS below and the fnx benchmark each maps to). The
Python frameworks pay Python's per-op cost; that is part of what is compared.
A row that fails in one framework (an op or transform it lacks) is reported
and left empty in that column; the other rows still run.

The linalg_* rows take deterministic inputs, built the same way in every
framework and in linalg_benchmark.cc (weyl() and linalg_inputs() below), so
that their results can be compared: --checksums runs each selected row once
per framework instead of timing it and prints the sum and the absolute sum
of its outputs (fnx's come from the benchmarks' "sum" and "abssum"
counters). Eigenvectors and singular vectors are defined up to sign: for
eigh and svd only the absolute sum has to agree.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CACHE = os.path.expanduser(os.environ.get("FNX_PEERS_CACHE",
                                          "~/.cache/fnx-peers"))
DEBIAN_PYTHON = "/usr/bin/python3"
TORCH2_SPEC = os.environ.get("FNX_PEERS_TORCH2", "torch==2.15.0")
JAX_SPEC = os.environ.get("FNX_PEERS_JAX", "jax[cpu]==0.10.2")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

# Row name (input then output) -> (fnx benchmark binary, Google Benchmark
# name, without a /real_time suffix), a description. fnx's names say their
# sizes input first too (BM_Jacrev/in:32/out:2048).
WORKLOADS = {
    "hvp_sum_sin_2048in_2048out": (
        "jvp_benchmark", "BM_HvpSumSin/in:2048",
        "hvp of f(x) = sum(sin(x)), x in R^2048: jvp(grad(f), x, v)"),
    "hvp_sum_tanh_sq_2048in_2048out": (
        "jvp_benchmark", "BM_HvpSumTanhSq/in:2048",
        "hvp of f(x) = sum(t * t), t = tanh(x), x in R^2048: jvp(grad(f))"),
    "jacrev_16in_16out": (
        "jvp_benchmark", "BM_Jacrev/in:16/out:16",
        "jacrev of tanh(W x + b) w.r.t. x, R^16 -> R^16"),
    "jacrev_32in_2048out": (
        "jvp_benchmark", "BM_Jacrev/in:32/out:2048",
        "jacrev of tanh(W x + b) w.r.t. x, R^32 -> R^2048"),
    "vmap_jacrev_b64_31in_33out": (
        "jvp_benchmark", "BM_BatchedJacrev/batch:64/in:31/out:33",
        "vmap(jacrev(tanh(W x + b))) over 64 x, R^31 -> R^33"),
    "jacfwd_2048in_32out": (
        "jvp_benchmark", "BM_Jacfwd/in:2048/out:32",
        "jacfwd of tanh(W x + b) w.r.t. x, R^2048 -> R^32"),
    # fnx compiled against JAX jit (the compile issue takes the rows eager
    # fnx cannot lead): identity-basis products become row selections.
    "jacrev_16in_16out_compiled": (
        "compile_benchmark", "BM_JacrevCompiled/in:16/out:16",
        "compile(jacrev) of tanh(W x + b), R^16 -> R^16 (JAX: jit)"),
    "jacrev_32in_2048out_compiled": (
        "compile_benchmark", "BM_JacrevCompiled/in:32/out:2048",
        "compile(jacrev) of tanh(W x + b), R^32 -> R^2048 (JAX: jit)"),
    "jacfwd_2048in_32out_compiled": (
        "compile_benchmark", "BM_JacfwdCompiled/in:2048/out:32",
        "compile(jacfwd) of tanh(W x + b), R^2048 -> R^32 (JAX: jit)"),
    # compile's own targets (issue 21), eager and compiled fnx each beside
    # the same jitted JAX call, and the memory-bandwidth limit of gelu's
    # pass (fnx only: one read and one write of the tensor).
    "gelu_32x1000x4096": (
        "compile_benchmark", "BM_GeluEager",
        "exact gelu of a (32, 1000, 4096) float32 tensor, eager (JAX: jit)"),
    "gelu_32x1000x4096_compiled": (
        "compile_benchmark", "BM_GeluCompiled",
        "the same, compile(gelu): one fused pass (JAX: jit)"),
    "copy_32x1000x4096_bandwidth": (
        "compile_benchmark", "BM_BandwidthNonTemporal",
        "the bandwidth limit of gelu's pass: read the tensor, write as many "
        "bytes (non-temporal stores), fnx only"),
    "tiny_chain_100ops_8in": (
        "compile_benchmark", "BM_TinyChainEager",
        "25 x tanh(sin(y) * 1.01 + 0.5) - 0.25 on 8 elements, eager "
        "(JAX: jit)"),
    "tiny_chain_100ops_8in_compiled": (
        "compile_benchmark", "BM_TinyChainCompiled",
        "the same chain compiled: one fused kernel (JAX: jit)"),
    "ensemble_step_64mlp": (
        "training_step_benchmark", "BM_EnsembleStepEager",
        "one SGD step of 64 MLPs 1-32-1 (vmap(grad)), the ensemble demo, "
        "eager (JAX: jit, training_step_jax.py)"),
    "ensemble_step_64mlp_compiled": (
        "training_step_benchmark", "BM_EnsembleStepCompiled",
        "the same step compiled (JAX: jit)"),
    "maml_step_32tasks": (
        "training_step_benchmark", "BM_MamlStepEager",
        "one MAML meta-step over 32 tasks, float64, the MAML demo, eager "
        "(JAX: jit, training_step_jax.py)"),
    "maml_step_32tasks_compiled": (
        "training_step_benchmark", "BM_MamlStepCompiled",
        "the same step compiled (JAX: jit)"),
    "ensemble_vmap_10mlp_b64_784in_10out": (
        "vmap_benchmark", "BM_VmapEnsemble",
        "10 MLPs 784-128-128-10 (relu), batch 64: vmap over stacked params"),
    "ensemble_loop_10mlp_b64_784in_10out": (
        "vmap_benchmark", "BM_LoopEnsemble",
        "the same 10 MLPs as a loop over models, outputs stacked"),
    "cnn_vmap_grad_b64_1x28x28in": (
        "grad_benchmark", "BM_PerSampleGradCnnVmap",
        "per-sample gradients of the tutorial CNN, batch 64: vmap(grad)"),
    "cnn_loop_grad_b64_1x28x28in": (
        "grad_benchmark", "BM_PerSampleGradCnnLoop",
        "the same as a loop of grad over the 64 examples"),
    "grad_tiny_8in_1out": (
        "grad_benchmark", "BM_GradTiny/in:8",
        "grad of f(x) = sum(sin(x) * x), x of 8 elements"),
    "vmap_tiny_b8_8in_1out": (
        "vmap_benchmark", "BM_VmapTiny/batch:8/in:8",
        "vmap of f(x) = sum(sin(x) * x) over a batch of 8 x of 8 elements"),
    "sgemm_1024x1024": (
        "matmul_benchmark", "BM_FnxMatmul/1024",
        "float32 matmul of two 1024 x 1024 matrices"),
    "linalg_solve_b1000000_3x3": (
        "linalg_benchmark", "BM_Solve3x3/1000000/32",
        "solve A x = b for 1e6 batched 3x3 A, b (1e6, 3, 1)"),
    "linalg_cholesky_256x256": (
        "linalg_benchmark", "BM_Cholesky/256/32",
        "Cholesky factor of one SPD 256 x 256 matrix"),
    "linalg_eigh_256x256": (
        "linalg_benchmark", "BM_Eigh/256/32",
        "eigenvalues and eigenvectors of one symmetric 256 x 256 matrix"),
    "linalg_svd_256x256": (
        "linalg_benchmark", "BM_Svd/256/32",
        "full SVD (U, S, Vh) of one 256 x 256 matrix"),
    "linalg_vmap_grad_logdet_b1000_8x8": (
        "linalg_benchmark", "BM_VmapGradLogdet/batch:1000/n:8",
        "per-example gradients of logdet over 1000 SPD 8x8: vmap(grad)"),
    "linalg_grad_gp_nll_256pts": (
        "linalg_benchmark", "BM_GradGpNll/n:256",
        "grad of a Gaussian-process NLL (RBF kernel, 256 points, cholesky "
        "and cholesky_solve) w.r.t. the log length-scale"),
    "psg_transformer_b32_s64": (
        "models_benchmark", "BM_PerSampleGradTransformer",
        "per-sample gradients (vmap(grad) through functional_call) of a "
        "1-layer causal pre-norm transformer LM, d_model 64, batch 32, "
        "sequence 64"),
    "psg_lstm_b32_s64": (
        "models_benchmark", "BM_PerSampleGradLstm",
        "the same for an embedding + LSTM(64, 64) + linear LM"),
}
for _rows, _cols in ((1, 1000000), (1000, 1000)):
    for _op, _bench in (("sort", "BM_Sort"), ("topk10", "BM_Topk"),
                        ("cumsum", "BM_Cumsum")):
        WORKLOADS[f"{_op}_{_rows}x{_cols}"] = (
            "sort_benchmark", f"{_bench}/{_rows}",
            f"{_op} along the last dim of a ({_rows}, {_cols}) float32 tensor")
SGEMM_FLOP = 2.0 * 1024 ** 3
# The rows numpy runs: those without a transform.
NUMPY_ROWS = ("sgemm_1024x1024", "linalg_solve_b1000000_3x3",
              "linalg_cholesky_256x256", "linalg_eigh_256x256",
              "linalg_svd_256x256")
# The rows of compiled fnx: JAX (always jitted) is their only peer.
COMPILED_ROWS = ("jacrev_16in_16out_compiled", "jacrev_32in_2048out_compiled",
                 "jacfwd_2048in_32out_compiled", "gelu_32x1000x4096",
                 "gelu_32x1000x4096_compiled", "tiny_chain_100ops_8in",
                 "tiny_chain_100ops_8in_compiled", "ensemble_step_64mlp",
                 "ensemble_step_64mlp_compiled", "maml_step_32tasks",
                 "maml_step_32tasks_compiled")
# Rows only fnx runs (a measure of the machine, not a workload).
FNX_ONLY_ROWS = ("copy_32x1000x4096_bandwidth",)
FRAMEWORKS = ("fnx", "functorch", "torch2", "jax", "numpy")
PEERS = FRAMEWORKS[1:]


# ---------------------------------------------------------------------------
# Workers: one process per framework and round. They import nothing heavy at
# module level, so that the thread settings go in first.
# ---------------------------------------------------------------------------

def limit_threads(threads):
    """Environment and affinity; call before importing a framework."""
    for k, v in thread_env(threads).items():
        os.environ[k] = v
    cores = sorted(os.sched_getaffinity(0))
    if threads < len(cores):
        os.sched_setaffinity(0, cores[:threads])


def thread_env(threads):
    n = str(threads)
    return {
        "FNX_NUM_THREADS": n,
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        # XLA:CPU: no Eigen thread pool inside ops; JAX runs on the CPU only.
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false",
        "JAX_PLATFORMS": "cpu",
    }


def time_samples(fn, samples, min_time):
    """Per-call seconds of fn: after a warm-up, `samples` samples, each timing
    enough calls to fill min_time (one sample for calls over a second)."""
    fn()  # compiles (JAX), allocates, fills caches
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    if once < 0.1:
        for _ in range(3):
            fn()
    if once > 1.0:
        samples = 1
    n = max(1, int(min_time / once))
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        out.append((time.perf_counter() - t0) / n)
    return out


WEYL_C = 0.41421356237309503  # sqrt(2) - 1, as linalg_benchmark.cc


def weyl(np, shape, offset=0):
    """Deterministic float64 entries in [-1, 1): 2 frac(k^2 c) - 1 for the
    flat index k = offset, offset + 1, ..., the same doubles as
    linalg_benchmark.cc's weyl()."""
    n = 1
    for d in shape:
        n *= d
    k = np.arange(offset, offset + n, dtype=np.float64)
    p = (k * k) * WEYL_C
    return (2 * (p - np.floor(p)) - 1).reshape(shape)


def linalg_inputs(np):
    """The linalg_* rows' float32 inputs as numpy arrays, built in float64
    (then cast) as linalg_benchmark.cc builds them."""
    batch = 1000000

    def spd(n, batch=0):
        m = weyl(np, (batch, n, n) if batch else (n, n))
        return (m @ np.swapaxes(m, -1, -2) + n * np.eye(n)).astype(np.float32)

    f32 = np.float32
    return {
        "a3": (weyl(np, (batch, 3, 3)) + 3 * np.eye(3)).astype(f32),
        "b3": weyl(np, (batch, 3, 1), batch * 9).astype(f32),
        "spd256": spd(256),
        "spd8": spd(8, 1000),
        "gp_x": (weyl(np, (256,)) * 3).astype(f32),
        "gp_y": weyl(np, (256,), 256).astype(f32),
        "gp_log_l": np.zeros((), f32),
    }


def torch_workloads(api, threads):
    """The workloads in PyTorch; api is functorch (1.13) or torch.func."""
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, HERE)
    from torch_tutorial_cnn import example_loss, make_params

    torch.set_num_threads(threads)
    grad, vmap, jacrev, jacfwd, jvp = (api.grad, api.vmap, api.jacrev,
                                       api.jacfwd, api.jvp)
    g = torch.Generator().manual_seed(0)

    def randn(*shape):
        return torch.randn(*shape, generator=g)

    def predict(w, b, x):
        return torch.tanh(F.linear(x, w, b))

    def layer(din, dout, batch=0):
        return (randn(dout, din), randn(dout),
                randn(batch, din) if batch else randn(din))

    rows = {}
    x, v = randn(2048), randn(2048)

    def sum_sin(t):
        return torch.sin(t).sum()

    def sum_tanh_sq(t):
        u = torch.tanh(t)
        return (u * u).sum()

    hvp_sin, hvp_tanh = grad(sum_sin), grad(sum_tanh_sq)
    rows["hvp_sum_sin_2048in_2048out"] = (
        lambda: jvp(hvp_sin, (x,), (v,))[1])
    rows["hvp_sum_tanh_sq_2048in_2048out"] = (
        lambda: jvp(hvp_tanh, (x,), (v,))[1])
    jr, jf = jacrev(predict, argnums=2), jacfwd(predict, argnums=2)
    for name, (din, dout), jac in (
            ("jacrev_16in_16out", (16, 16), jr),
            ("jacrev_32in_2048out", (32, 2048), jr),
            ("jacfwd_2048in_32out", (2048, 32), jf)):
        args = layer(din, dout)
        rows[name] = lambda jac=jac, args=args: jac(*args)
    bargs = layer(31, 33, batch=64)
    bjr = vmap(jr, in_dims=(None, None, 0))
    rows["vmap_jacrev_b64_31in_33out"] = lambda: bjr(*bargs)

    def mlp_params(models=0):
        def p(*shape):
            return randn(*((models,) + shape if models else shape)) * 0.05
        return {"w1": p(128, 784), "b1": p(128), "w2": p(128, 128),
                "b2": p(128), "w3": p(10, 128), "b3": p(10)}

    def mlp(p, x):
        h = F.relu(F.linear(x, p["w1"], p["b1"]))
        h = F.relu(F.linear(h, p["w2"], p["b2"]))
        return F.linear(h, p["w3"], p["b3"])

    stacked, models, data = mlp_params(10), [mlp_params() for _ in range(10)], \
        randn(64, 784)
    ensemble = vmap(mlp, in_dims=(0, None))
    rows["ensemble_vmap_10mlp_b64_784in_10out"] = lambda: ensemble(stacked,
                                                                   data)
    rows["ensemble_loop_10mlp_b64_784in_10out"] = lambda: torch.stack(
        [mlp(m, data) for m in models])

    torch.manual_seed(0)
    params = make_params()
    samples, targets = randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    per_sample = vmap(grad(example_loss), in_dims=(None, 0, 0))
    dloss = grad(example_loss)
    rows["cnn_vmap_grad_b64_1x28x28in"] = lambda: per_sample(params, samples,
                                                             targets)
    rows["cnn_loop_grad_b64_1x28x28in"] = lambda: [
        dloss(params, samples[i], targets[i]) for i in range(64)]

    def tiny(t):
        return (torch.sin(t) * t).sum()

    x8, x88, dtiny, vtiny = randn(8), randn(8, 8), grad(tiny), vmap(tiny)
    rows["grad_tiny_8in_1out"] = lambda: dtiny(x8)
    rows["vmap_tiny_b8_8in_1out"] = lambda: vtiny(x88)
    a, b = randn(1024, 1024), randn(1024, 1024)
    rows["sgemm_1024x1024"] = lambda: torch.mm(a, b)

    import numpy as np
    li = {k: torch.from_numpy(v) for k, v in linalg_inputs(np).items()}
    rows["linalg_solve_b1000000_3x3"] = lambda: torch.linalg.solve(li["a3"],
                                                                   li["b3"])
    rows["linalg_cholesky_256x256"] = lambda: torch.linalg.cholesky(
        li["spd256"])
    rows["linalg_eigh_256x256"] = lambda: torch.linalg.eigh(li["spd256"])
    rows["linalg_svd_256x256"] = lambda: torch.linalg.svd(li["spd256"])
    per_example_logdet = vmap(grad(torch.logdet))
    rows["linalg_vmap_grad_logdet_b1000_8x8"] = lambda: per_example_logdet(
        li["spd8"])

    def gp_nll(log_l, x, y):
        d = x[:, None] - x[None, :]
        k = torch.exp(d * d * torch.exp(log_l * -2.0) * -0.5) + \
            torch.eye(x.shape[0]) * 0.1
        lo = torch.linalg.cholesky(k)
        yc = y[:, None]
        alpha = torch.cholesky_solve(yc, lo)
        return (yc * alpha).sum() * 0.5 + torch.log(torch.diagonal(lo)).sum()

    dnll = grad(gp_nll)
    rows["linalg_grad_gp_nll_256pts"] = lambda: dnll(li["gp_log_l"],
                                                     li["gp_x"], li["gp_y"])
    from sequence_models import torch_rows
    rows.update(torch_rows(api))
    return rows, torch.__version__


def jax_workloads(threads):
    import jax
    import jax.numpy as jnp
    import jax.scipy.linalg  # noqa: F401 - jax.scipy.linalg.cho_solve
    from jax import lax

    import numpy as np

    del threads  # set by the environment and the affinity
    rng = np.random.default_rng(0)

    def randn(*shape):
        return jnp.asarray(rng.standard_normal(shape, np.float32))

    def ready(f):
        return lambda *a: jax.block_until_ready(f(*a))

    def predict(w, b, x):
        return jnp.tanh(x @ w.T + b)

    def layer(din, dout, batch=0):
        return (randn(dout, din), randn(dout),
                randn(batch, din) if batch else randn(din))

    rows = {}
    x, v = randn(2048), randn(2048)

    def sum_sin(t):
        return jnp.sum(jnp.sin(t))

    def sum_tanh_sq(t):
        u = jnp.tanh(t)
        return jnp.sum(u * u)

    for name, f in (("hvp_sum_sin_2048in_2048out", sum_sin),
                    ("hvp_sum_tanh_sq_2048in_2048out", sum_tanh_sq)):
        h = ready(jax.jit(
            lambda x, v, f=f: jax.jvp(jax.grad(f), (x,), (v,))[1]))
        rows[name] = lambda h=h: h(x, v)
    jr = jax.jacrev(predict, argnums=2)
    jf = jax.jacfwd(predict, argnums=2)
    for name, (din, dout), jac in (
            ("jacrev_16in_16out", (16, 16), jr),
            ("jacrev_32in_2048out", (32, 2048), jr),
            ("jacfwd_2048in_32out", (2048, 32), jf)):
        args, j = layer(din, dout), ready(jax.jit(jac))
        rows[name] = lambda j=j, args=args: j(*args)
        # The same jitted call beside compiled fnx.
        rows[name + "_compiled"] = rows[name]
    bargs = layer(31, 33, batch=64)
    bjr = ready(jax.jit(jax.vmap(jr, in_axes=(None, None, 0))))
    rows["vmap_jacrev_b64_31in_33out"] = lambda: bjr(*bargs)

    def mlp_params(models=0):
        def p(*shape):
            return randn(*((models,) + shape if models else shape)) * 0.05
        return {"w1": p(128, 784), "b1": p(128), "w2": p(128, 128),
                "b2": p(128), "w3": p(10, 128), "b3": p(10)}

    def linear(x, w, b):
        return x @ w.T + b

    def mlp(p, x):
        h = jax.nn.relu(linear(x, p["w1"], p["b1"]))
        h = jax.nn.relu(linear(h, p["w2"], p["b2"]))
        return linear(h, p["w3"], p["b3"])

    stacked, models, data = mlp_params(10), [mlp_params() for _ in range(10)], \
        randn(64, 784)
    ensemble = ready(jax.jit(jax.vmap(mlp, in_axes=(0, None))))
    one = jax.jit(mlp)
    rows["ensemble_vmap_10mlp_b64_784in_10out"] = lambda: ensemble(stacked,
                                                                   data)
    # The loop is a Python loop over a jitted model (jitting the whole loop
    # would make it one XLA program, the same as vmap).
    rows["ensemble_loop_10mlp_b64_784in_10out"] = lambda: \
        jax.block_until_ready(jnp.stack([one(m, data) for m in models]))

    def conv(x, w, b):
        y = lax.conv_general_dilated(x, w, (1, 1), "VALID",
                                     dimension_numbers=("NCHW", "OIHW",
                                                        "NCHW"))
        return y + b[None, :, None, None]

    def cnn(p, x):
        h = jax.nn.relu(conv(x, p["conv1.weight"], p["conv1.bias"]))
        h = jax.nn.relu(conv(h, p["conv2.weight"], p["conv2.bias"]))
        h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2),
                              (1, 1, 2, 2), "VALID")
        h = h.reshape(h.shape[0], -1)
        h = jax.nn.relu(linear(h, p["fc1.weight"], p["fc1.bias"]))
        h = linear(h, p["fc2.weight"], p["fc2.bias"])
        return jax.nn.log_softmax(h, axis=1)

    def example_loss(p, sample, target):
        return -cnn(p, sample[None])[0, target]

    shapes = {"conv1.weight": (32, 1, 3, 3), "conv1.bias": (32,),
              "conv2.weight": (64, 32, 3, 3), "conv2.bias": (64,),
              "fc1.weight": (128, 9216), "fc1.bias": (128,),
              "fc2.weight": (10, 128), "fc2.bias": (10,)}
    params = {k: randn(*s) * 0.05 for k, s in shapes.items()}
    samples = randn(64, 1, 28, 28)
    targets = jnp.asarray(rng.integers(0, 10, 64))
    per_sample = ready(jax.jit(jax.vmap(jax.grad(example_loss),
                                        in_axes=(None, 0, 0))))
    # One jitted call per example, indexing inside the jit (a Python index
    # outside would add a dispatch per example that the others do not pay).
    dloss_i = jax.jit(lambda p, s, t, i: jax.grad(example_loss)(p, s[i], t[i]))
    rows["cnn_vmap_grad_b64_1x28x28in"] = lambda: per_sample(params, samples,
                                                             targets)
    rows["cnn_loop_grad_b64_1x28x28in"] = lambda: jax.block_until_ready(
        [dloss_i(params, samples, targets, i) for i in range(64)])

    def tiny(t):
        return jnp.sum(jnp.sin(t) * t)

    x8, x88 = randn(8), randn(8, 8)
    dtiny, vtiny = ready(jax.jit(jax.grad(tiny))), ready(jax.jit(
        jax.vmap(tiny)))
    rows["grad_tiny_8in_1out"] = lambda: dtiny(x8)
    rows["vmap_tiny_b8_8in_1out"] = lambda: vtiny(x88)
    a, b = randn(1024, 1024), randn(1024, 1024)
    mm = ready(jax.jit(jnp.dot))
    rows["sgemm_1024x1024"] = lambda: mm(a, b)

    li = {k: jnp.asarray(v) for k, v in linalg_inputs(np).items()}
    solve = ready(jax.jit(jnp.linalg.solve))
    rows["linalg_solve_b1000000_3x3"] = lambda: solve(li["a3"], li["b3"])
    for name, f in (("linalg_cholesky_256x256", jnp.linalg.cholesky),
                    ("linalg_eigh_256x256", jnp.linalg.eigh),
                    ("linalg_svd_256x256", jnp.linalg.svd)):
        rows[name] = lambda f=ready(jax.jit(f)): f(li["spd256"])
    per_example_logdet = ready(jax.jit(jax.vmap(jax.grad(
        lambda m: jnp.linalg.slogdet(m)[1]))))
    rows["linalg_vmap_grad_logdet_b1000_8x8"] = lambda: per_example_logdet(
        li["spd8"])

    def gp_nll(log_l, x, y):
        d = x[:, None] - x[None, :]
        k = jnp.exp(d * d * jnp.exp(log_l * -2.0) * -0.5) + \
            jnp.eye(x.shape[0], dtype=x.dtype) * 0.1
        lo = jnp.linalg.cholesky(k)
        yc = y[:, None]
        alpha = jax.scipy.linalg.cho_solve((lo, True), yc)
        return jnp.sum(yc * alpha) * 0.5 + jnp.sum(jnp.log(jnp.diagonal(lo)))

    dnll = ready(jax.jit(jax.grad(gp_nll)))
    rows["linalg_grad_gp_nll_256pts"] = lambda: dnll(li["gp_log_l"],
                                                     li["gp_x"], li["gp_y"])
    sys.path.insert(0, HERE)
    from sequence_models import jax_rows
    rows.update(jax_rows())

    xg = randn(32, 1000, 4096)
    gelu = ready(jax.jit(lambda t: jax.nn.gelu(t, approximate=False)))
    rows["gelu_32x1000x4096"] = lambda: gelu(xg)
    rows["gelu_32x1000x4096_compiled"] = rows["gelu_32x1000x4096"]

    def chain(t):
        for _ in range(25):
            t = jnp.tanh(jnp.sin(t) * 1.01 + 0.5) - 0.25
        return t

    x8c, jchain = randn(8), ready(jax.jit(chain))
    rows["tiny_chain_100ops_8in"] = lambda: jchain(x8c)
    rows["tiny_chain_100ops_8in_compiled"] = rows["tiny_chain_100ops_8in"]

    # The training steps come from training_step_jax.py, which turns on
    # float64 (MAML's dtype) when imported: built at their first call, and
    # last, so that every other row is timed before.
    def training_step(name):
        state = {}

        def run():
            if not state:
                import training_step_jax
                step, params = getattr(training_step_jax, name)()
                state["run"] = lambda: jax.block_until_ready(step(params))
            return state["run"]()
        return run

    for name, make in (("ensemble_step_64mlp", "ensemble"),
                       ("maml_step_32tasks", "maml")):
        rows[name] = rows[name + "_compiled"] = training_step(make)
    try:
        import jaxlib
        lib = jaxlib.__version__
    except (ImportError, AttributeError):
        lib = "?"
    return rows, f"jax {jax.__version__}, jaxlib {lib}"


def numpy_workloads(threads):
    import numpy as np
    del threads
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 1024)).astype(np.float32)
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    li = linalg_inputs(np)
    rows = {
        "sgemm_1024x1024": lambda: a @ b,
        "linalg_solve_b1000000_3x3": lambda: np.linalg.solve(li["a3"],
                                                             li["b3"]),
        "linalg_cholesky_256x256": lambda: np.linalg.cholesky(li["spd256"]),
        "linalg_eigh_256x256": lambda: np.linalg.eigh(li["spd256"]),
        "linalg_svd_256x256": lambda: np.linalg.svd(li["spd256"]),
    }
    assert set(rows) == set(NUMPY_ROWS)
    return rows, f"numpy {np.__version__}, BLAS {blas}"


def checksum(out):
    """(sum, absolute sum) over all the arrays in a row's output (tensors,
    arrays, tuples, lists, dicts), in float64."""
    import numpy as np
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (tuple, list)):
        parts = [checksum(o) for o in out]
        return [sum(p[0] for p in parts), sum(p[1] for p in parts)]
    if hasattr(out, "detach"):
        out = out.detach()
    a = np.asarray(out, dtype=np.float64)
    return [float(a.sum()), float(np.abs(a).sum())]


def worker(args):
    limit_threads(args.threads)
    if args.worker == "functorch":
        import functorch
        rows, version = torch_workloads(functorch, args.threads)
        version = f"torch {version}, functorch"
    elif args.worker == "torch2":
        import torch.func
        rows, version = torch_workloads(torch.func, args.threads)
        version = f"torch {version}, torch.func"
    elif args.worker == "jax":
        rows, version = jax_workloads(args.threads)
    else:
        rows, version = numpy_workloads(args.threads)
    only = re.compile(args.only or "")
    times, errors = {}, {}
    for name, fn in rows.items():
        if only.search(name):
            try:
                times[name] = checksum(fn()) if args.checksums else \
                    time_samples(fn, args.samples, args.min_time)
            except Exception as e:  # noqa: BLE001 - reported, row left empty
                errors[name] = f"{type(e).__name__}: {e}"[:300]
    json.dump({"version": version, "times": times, "errors": errors},
              sys.stdout)


# ---------------------------------------------------------------------------
# The driver.
# ---------------------------------------------------------------------------

def venv_python(name):
    return os.path.join(CACHE, name, "bin", "python")


def interpreter(fw):
    return {"functorch": DEBIAN_PYTHON, "numpy": DEBIAN_PYTHON,
            "torch2": venv_python("torch2"), "jax": venv_python("jax")}[fw]


def check_import(python, module):
    return os.path.exists(python) and subprocess.run(
        [python, "-c", f"import {module}"], capture_output=True).returncode == 0


def log(msg):
    print(msg, flush=True)


def reachable(url, timeout=5):
    try:
        urllib.request.urlopen(url, timeout=timeout).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def make_venv(name, packages, extra=()):
    python = venv_python(name)
    if not os.path.exists(python):
        base = DEBIAN_PYTHON if os.path.exists(DEBIAN_PYTHON) else \
            sys.executable
        subprocess.run([base, "-m", "venv", os.path.join(CACHE, name)],
                       check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", *extra, *packages],
                   check=True)


def opt_bazel_bin():
    """The opt configuration's output folder. Not the bazel-bin symlink:
    it follows the last build, which may have been a fastbuild one."""
    out = subprocess.run(["bazel", "info", "--config=opt", "bazel-bin"],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        return out.stdout.strip()
    return os.path.join(ROOT, "bazel-out", "k8-opt", "bin")


def setup(frameworks, args):
    os.makedirs(CACHE, exist_ok=True)
    if "fnx" in frameworks:
        targets = sorted({f"//tests/benchmarks:{b}"
                          for b, _, _ in WORKLOADS.values()})
        log("setup: bazel build --config=opt " + " ".join(targets))
        subprocess.run(["bazel", "build", "--config=opt", *targets],
                       cwd=ROOT, check=True)
        if not args.bazel_bin:
            args.bazel_bin = opt_bazel_bin()
    if ({"functorch", "numpy"} & set(frameworks) and
            not (check_import(DEBIAN_PYTHON, "functorch") and
                 check_import(DEBIAN_PYTHON, "numpy"))):
        log("setup: apt-get install -y python3-torch python3-numpy")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "python3-torch",
                        "python3-numpy"], env=env, check=True)
    if "torch2" in frameworks and not check_import(venv_python("torch2"),
                                                   "torch.func"):
        # The CPU-only wheels are ~200 MB; PyPI's Linux wheel pulls the CUDA
        # libraries too (~3 GB), which a CPU run never loads.
        extra = []
        if reachable(TORCH_CPU_INDEX + "/"):
            extra = ["--index-url", TORCH_CPU_INDEX,
                     "--extra-index-url", "https://pypi.org/simple"]
        else:
            log(f"setup: {TORCH_CPU_INDEX} is not reachable: installing "
                f"{TORCH2_SPEC} from PyPI, with its CUDA libraries (~3 GB)")
        log(f"setup: venv {CACHE}/torch2: pip install {TORCH2_SPEC} numpy")
        make_venv("torch2", [TORCH2_SPEC, "numpy"], extra)
    if "jax" in frameworks and not check_import(venv_python("jax"), "jax"):
        log(f"setup: venv {CACHE}/jax: pip install {JAX_SPEC}")
        make_venv("jax", [JAX_SPEC])


def fnx_binary(name, bazel_bin):
    return os.path.join(bazel_bin, "tests", "benchmarks", name)


def run_fnx(rows, args):
    """fnx samples: one Google Benchmark run per binary, repetitions as
    samples, real (wall) time per iteration."""
    by_binary = {}
    for row in rows:
        binary, bench, _ = WORKLOADS[row]
        by_binary.setdefault(binary, {})[bench] = row
    env = dict(os.environ, **thread_env(args.threads))
    cores = sorted(os.sched_getaffinity(0))
    times = {}
    for binary, benches in by_binary.items():
        pattern = "^(" + "|".join(re.escape(b) for b in benches) + \
            ")(/real_time)?$"
        cmd = [fnx_binary(binary, args.bazel_bin),
               f"--benchmark_filter={pattern}", "--benchmark_format=json",
               f"--benchmark_repetitions={1 if args.checksums else args.samples}",
               f"--benchmark_min_time={args.min_time}"]
        if args.threads < len(cores):
            cmd = ["taskset", "-c", ",".join(map(str, cores[:args.threads]))
                   ] + cmd
        out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                             env=env).stdout
        for b in json.loads(out)["benchmarks"]:
            if b.get("run_type", "iteration") != "iteration":
                continue
            name = re.sub(r"/real_time$", "", b["run_name"])
            if name not in benches:
                continue
            if args.checksums:
                if "sum" in b:
                    times[benches[name]] = [b["sum"], b["abssum"]]
                continue
            scale = {"s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[
                b["time_unit"]]
            times.setdefault(benches[name], []).append(b["real_time"] * scale)
    missing = set(rows) - set(times)
    if missing:
        log(f"  fnx: no benchmark ran for {', '.join(sorted(missing))}")
    return times, "fnx (bazel --config=opt)"


def run_peer(fw, rows, args):
    cmd = [interpreter(fw), os.path.abspath(__file__), "--worker", fw,
           "--threads", str(args.threads), "--samples", str(args.samples),
           "--min-time", str(args.min_time),
           "--only", "^(" + "|".join(map(re.escape, rows)) + ")$"]
    if args.checksums:
        cmd.append("--checksums")
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env=dict(os.environ, **thread_env(args.threads)))
    if proc.returncode != 0:
        log(f"  {fw} failed:\n{proc.stderr[-3000:]}")
        return {}, None
    out = json.loads(proc.stdout)
    for row, err in out.get("errors", {}).items():
        if (fw, row) not in REPORTED_ERRORS:
            REPORTED_ERRORS.add((fw, row))
            log(f"  {fw}: {row} failed: {err}")
    return out["times"], out["version"]


REPORTED_ERRORS = set()


def report_checksums(results, rows, frameworks, versions):
    """One line per row and framework: sum and absolute sum of the outputs,
    and their relative difference from fnx's."""
    print("\nchecksums: sum and absolute sum of each row's outputs (for eigh "
          "and svd only the\nabsolute sum must agree: vectors are defined "
          "up to sign); rel: against fnx")
    for fw in frameworks:
        if versions.get(fw):
            print(f"  {fw}: {versions[fw]}")
    for row in rows:
        print(row)
        ref = results.get("fnx", {}).get(row)
        for fw in frameworks:
            c = results.get(fw, {}).get(row)
            if not c:
                continue
            line = f"  {fw:10} sum {c[0]:>16.8g}  abssum {c[1]:>16.8g}"
            if ref and fw != "fnx":
                rel = [abs(x - r) / max(abs(r), 1e-30) for x, r in zip(c, ref)]
                line += f"   rel {rel[0]:.1e} / {rel[1]:.1e}"
            print(line)


def load_now(seconds=1.0):
    """(1-minute load average, runnable tasks other than this one averaged
    over `seconds`). The second is not inflated by this script's previous
    round, which the 1-minute average still remembers for minutes."""
    running = []
    end = time.time() + seconds
    while time.time() < end:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("procs_running"):
                    running.append(int(line.split()[1]) - 1)
        time.sleep(0.05)
    with open("/proc/loadavg") as f:
        load1 = float(f.read().split()[0])
    return load1, statistics.mean(running)


def wait_quiet(args, first):
    """Wait while the machine is busy; returns a line describing the load."""
    limit = args.max_load
    start = last_note = time.time()
    while True:
        load1, running = load_now()
        # Before the first round the 1-minute average tells whether others
        # run; after one of ours it also counts our own threads, so then the
        # instantaneous run queue decides.
        quiet = running <= limit and (not first or load1 <= limit)
        waited = time.time() - start
        if quiet:
            note = f" after waiting {waited:.0f}s" if waited > 1 else ""
            return (f"quiet{note} (1-min load {load1:.2f}, "
                    f"{running:.2f} other runnable)"), True
        if waited > args.load_timeout:
            return (f"WARNING: still busy after waiting {waited:.0f}s "
                    f"(1-min load {load1:.2f}, {running:.2f} other "
                    f"runnable); running anyway"), False
        if waited < 3 or time.time() - last_note >= 30:
            last_note = time.time()
            log(f"  waiting for a quiet machine: 1-min load {load1:.2f}, "
                f"{running:.2f} other runnable (limit {limit})")
        time.sleep(1)


def fmt_ms(t):
    if t is None:
        return "-"
    ms = t * 1e3
    return f"{ms:.3g}" if ms < 1 else f"{ms:.4g}" if ms < 1000 else \
        f"{ms:.0f}"


def report(results, rows, frameworks, versions, args, rounds_info):
    cols = [fw for fw in frameworks]
    print()
    print(f"fnx vs peers: {args.threads} threads each, float32, "
          f"{args.rounds} interleaved rounds x {args.samples} samples, "
          f"ms per call (min and median over all samples)")
    for fw in cols:
        if versions.get(fw):
            print(f"  {fw}: {versions[fw]}")
    quiet = sum(1 for _, q in rounds_info if q)
    print(f"  load: {quiet} of {len(rounds_info)} rounds started on a quiet "
          f"machine (limit {args.max_load} runnable)")
    w = max(len(r) for r in rows) + 1
    head = f"{'workload':{w}}" + "".join(
        f"{fw + ' min':>14}{'med':>9}" for fw in cols)
    head += f"{'fnx/best peer':>21}{'fnx/functorch':>14}"
    print(head)
    print("-" * len(head))
    stats = {}
    for row in rows:
        line = f"{row:{w}}"
        mins = {}
        for fw in cols:
            s = results.get(fw, {}).get(row)
            if s:
                mins[fw] = min(s)
                stats[(fw, row)] = (min(s), statistics.median(s))
                line += f"{fmt_ms(min(s)):>14}{fmt_ms(statistics.median(s)):>9}"
            else:
                line += f"{'-':>14}{'-':>9}"
        peers = {fw: t for fw, t in mins.items() if fw != "fnx"}
        if "fnx" in mins and peers:
            best = min(peers, key=peers.get)
            line += f"{mins['fnx'] / peers[best]:>9.2f}x {best:<10}"
        else:
            line += f"{'-':>10}{'':11}"
        if "fnx" in mins and "functorch" in mins:
            line += f"{mins['fnx'] / mins['functorch']:>13.2f}x"
        else:
            line += f"{'-':>14}"
        print(line)
    if "sgemm_1024x1024" in rows:
        print("\nsgemm_1024x1024 in GFLOP/s (from min / median):")
        for fw in cols:
            if (fw, "sgemm_1024x1024") in stats:
                lo, med = stats[(fw, "sgemm_1024x1024")]
                print(f"  {fw:10} {SGEMM_FLOP / lo / 1e9:7.1f} / "
                      f"{SGEMM_FLOP / med / 1e9:7.1f}")
    print("\nratios: fnx's min over the peer's min (below 1: fnx faster).")
    return stats


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5,
                   help="interleaved rounds (each framework once a round)")
    p.add_argument("--threads", type=int, default=2,
                   help="threads (and cores) for every framework")
    p.add_argument("--only", default=None,
                   help="regex over the row names")
    p.add_argument("--skip-setup", action="store_true",
                   help="no bazel build, apt-get or pip: use what is there")
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                   help="comma-separated, in round order")
    p.add_argument("--samples", type=int, default=3,
                   help="samples per workload, framework and round")
    p.add_argument("--min-time", type=float, default=0.2,
                   help="seconds of calls per sample")
    p.add_argument("--max-load", type=float, default=0.7,
                   help="quiet: at most this many other runnable tasks "
                        "(0.5 plus a margin)")
    p.add_argument("--load-timeout", type=float, default=180,
                   help="seconds to wait for quiet before each round")
    p.add_argument("--bazel-bin",
                   help="the opt build's output folder (default: bazel info "
                        "--config=opt bazel-bin after the build, or "
                        "bazel-out/k8-opt/bin with --skip-setup); to pin "
                        "the binaries, copy them and point here")
    p.add_argument("--json", help="write all samples to this file")
    p.add_argument("--checksums", action="store_true",
                   help="run each row once per framework and print the sum "
                        "and absolute sum of its outputs instead of timing")
    p.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args)

    frameworks = [f for f in args.frameworks.split(",") if f]
    for fw in frameworks:
        if fw not in FRAMEWORKS:
            p.error(f"unknown framework {fw}; known: {','.join(FRAMEWORKS)}")
    only = re.compile(args.only or "")
    rows = [r for r in WORKLOADS if only.search(r)]
    if not rows:
        p.error("--only matches no workload")
    if not args.skip_setup:
        setup(frameworks, args)
    if not args.bazel_bin:
        args.bazel_bin = os.path.join(ROOT, "bazel-out", "k8-opt", "bin")
    log(f"fnx binaries: {args.bazel_bin}/tests/benchmarks")
    available = []
    for fw in frameworks:
        if fw == "fnx":
            missing = [b for b in {WORKLOADS[r][0] for r in rows}
                       if not os.path.exists(fnx_binary(b, args.bazel_bin))]
            ok = not missing
        else:
            module = {"functorch": "functorch", "torch2": "torch.func",
                      "jax": "jax", "numpy": "numpy"}[fw]
            ok = check_import(interpreter(fw), module)
        if ok:
            available.append(fw)
        else:
            log(f"{fw}: not installed (run without --skip-setup); skipped")
    def runs(fw, row):
        if fw == "numpy":
            return row in NUMPY_ROWS
        if row in FNX_ONLY_ROWS:
            return fw == "fnx"
        return row not in COMPILED_ROWS or fw in ("fnx", "jax")
    fw_rows = {fw: [r for r in rows if runs(fw, r)] for fw in available}
    fw_rows = {fw: r for fw, r in fw_rows.items() if r}

    results = {fw: {} for fw in fw_rows}
    versions = {}
    if args.checksums:
        for fw, fr in fw_rows.items():
            times, version = run_fnx(fr, args) if fw == "fnx" else \
                run_peer(fw, fr, args)
            results[fw], versions[fw] = times, version
        report_checksums(results, rows, list(fw_rows), versions)
        return
    rounds_info = []
    log(f"{os.cpu_count()} cores; {args.threads} threads per framework; "
        f"rows: {', '.join(rows)}")
    for rnd in range(args.rounds):
        line, quiet = wait_quiet(args, first=rnd == 0)
        rounds_info.append((line, quiet))
        log(f"round {rnd + 1}/{args.rounds}: {line}")
        for fw, fr in fw_rows.items():
            t0 = time.time()
            if fw == "fnx":
                times, version = run_fnx(fr, args)
            else:
                times, version = run_peer(fw, fr, args)
            if version:
                versions[fw] = version
            for row, s in times.items():
                results[fw].setdefault(row, []).extend(s)
            log(f"  {fw}: {len(times)} rows in {time.time() - t0:.0f}s")
    report(results, rows, list(fw_rows), versions, args, rounds_info)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions, "samples": results,
                       "rounds": [l for l, _ in rounds_info],
                       "threads": args.threads}, f, indent=1)


if __name__ == "__main__":
    main()
