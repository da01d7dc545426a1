"""JAX jit of the training steps in training_step_benchmark.cc (same models,
sizes and updates), for the side-by-side table in tests/benchmarks/README.md.

Run: ~/.cache/fnx-peers/jax/bin/python tests/benchmarks/training_step_jax.py
Prints microseconds per step (median of 7 runs of 200 steps), CPU only.
"""
import math
import statistics
import time

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platform_name", "cpu")


def linear(key, fan_in, fan_out, dtype):
    kw, kb = jax.random.split(key)
    bound = 1.0 / math.sqrt(fan_in)
    return (jax.random.uniform(kw, (fan_out, fan_in), dtype, -bound, bound),
            jax.random.uniform(kb, (fan_out,), dtype, -bound, bound))


def mlp(params, x, act):
    for i, (w, b) in enumerate(params):
        x = x @ w.T + b
        if i + 1 < len(params):
            x = act(x)
    return x


def ensemble():
    keys = jax.random.split(jax.random.PRNGKey(7), 64)

    def member(k):
        k1, k2 = jax.random.split(k)
        return [linear(k1, 1, 32, jnp.float32), linear(k2, 32, 1, jnp.float32)]

    params = jax.vmap(member)(keys)
    x = jnp.linspace(-3, 3, 64, dtype=jnp.float32)[:, None]
    y = jnp.sin(x * 1.5) + 0.1 * jax.random.normal(
        jax.random.PRNGKey(8), (64, 1), jnp.float32)

    def loss(p):
        return jnp.mean((mlp(p, x, jnp.tanh) - y) ** 2)

    def step(p):
        g = jax.grad(lambda q: jax.vmap(loss)(q).sum())(p)
        return jax.tree_util.tree_map(lambda a, b: a - 0.01 * b, p, g)

    return jax.jit(step), params


def maml():
    k = jax.random.split(jax.random.PRNGKey(1), 8)
    params = [linear(k[0], 1, 40, jnp.float64), linear(k[1], 40, 40, jnp.float64),
              linear(k[2], 40, 1, jnp.float64)]
    n = 32
    amp = jax.random.uniform(k[3], (n, 1, 1), jnp.float64, 0.1, 5.0)
    phase = jax.random.uniform(k[4], (n, 1, 1), jnp.float64, 0.0, math.pi)
    xs = jax.random.uniform(k[5], (n, 10, 1), jnp.float64, -5.0, 5.0)
    xq = jax.random.uniform(k[6], (n, 10, 1), jnp.float64, -5.0, 5.0)
    ys, yq = amp * jnp.sin(xs + phase), amp * jnp.sin(xq + phase)

    def loss(p, x, y):
        return jnp.mean((mlp(p, x, jax.nn.relu) - y) ** 2)

    def adapted(p, a, b, c, d):
        g = jax.grad(loss)(p, a, b)
        fast = jax.tree_util.tree_map(lambda t, u: t - 0.01 * u, p, g)
        return loss(fast, c, d)

    def step(p, a, b, c, d):
        meta = lambda q: jax.vmap(adapted, (None, 0, 0, 0, 0))(q, a, b, c, d).mean()
        g = jax.grad(meta)(p)
        return jax.tree_util.tree_map(lambda t, u: t - 1e-3 * u, p, g)

    f = jax.jit(step)
    return (lambda p: f(p, xs, ys, xq, yq)), params


def time_us(step, params, steps=200, runs=7):
    jax.block_until_ready(step(params))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(steps):
            out = step(params)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - t0) / steps * 1e6)
    return statistics.median(times)


if __name__ == "__main__":
    for name, make in [("ensemble step (64 MLPs)", ensemble),
                       ("MAML step (32 tasks)", maml)]:
        step, params = make()
        print(f"jax.jit {name}: {time_us(step, params):.1f} us")
