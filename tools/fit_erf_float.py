#!/usr/bin/env python3
"""Fits the coefficient tables of fnx's AVX-512 float erf.

backends/cpu/erf_float_avx512.cc evaluates erf(a), a = |x| < 4, as a
polynomial of degree 6 in s = 8a - floor(8a) in [0, 1), one polynomial per
interval [i/8, (i+1)/8), i < 32 (a vpermt2ps lookup per coefficient). Each
is a least-squares fit on Chebyshev nodes in double, its coefficients then
rounded to float one at a time from the constant term up, each later one
refitted to what the rounding left. The first interval fits erf(a) / s, so
its constant term is exactly 0 and results stay accurate relative to tiny
inputs. Needs numpy and scipy (a development tool, not a build step):

    python3 tools/fit_erf_float.py > /tmp/tables.inc
"""
import numpy as np
from scipy.special import erf

DEGREE = 6
INTERVALS = 32
NODES = 2000


def fit(f, degree, s):
    """Power-basis coefficients of degree `degree` fitted to f(s), each
    rounded to float32 in turn with the later ones refitted."""
    coeffs = []
    residual = f(s).astype(np.float64)
    for k in range(degree + 1):
        v = np.vander(s, degree + 1, increasing=True)[:, k:]
        c, *_ = np.linalg.lstsq(v, residual, rcond=None)
        ck = float(np.float32(c[0]))
        coeffs.append(ck)
        residual = residual - ck * s**k
    return coeffs


def main():
    s = 0.5 - 0.5 * np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES)
    table = []
    worst = 0.0
    for i in range(INTERVALS):
        if i == 0:
            c = [0.0] + fit(lambda t: erf(t / 8) / t, DEGREE - 1, s)
        else:
            c = fit(lambda t, i=i: erf((i + t) / 8), DEGREE, s)
        table.append(c)
        dense = np.linspace(0, 1, 20001)
        approx = np.polyval(c[::-1], dense)
        exact = erf((i + dense) / 8)
        err = np.abs(approx - exact) / np.maximum(
            np.spacing(np.float32(exact)).astype(np.float64), 1e-45)
        worst = max(worst, float(err.max()))
    print(f"// Worst fitted error (double evaluation): {worst:.3f} ulp")
    for k in range(DEGREE + 1):
        values = ", ".join(f"{np.float32(table[i][k]).item()!r}f"
                           for i in range(INTERVALS))
        print(f"constexpr float kC{k}[32] = {{{values}}};")


if __name__ == "__main__":
    main()
