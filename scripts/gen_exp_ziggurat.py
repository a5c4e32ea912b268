#!/usr/bin/env python3
"""Prints the tables of sim/src/exponential_ziggurat.cpp (run from the repository root).

The ziggurat of Marsaglia and Tsang (2000) for the standard exponential density f(x) = exp(-x)
with 256 layers of equal area V: x[1] = R is the start of the tail, x[0] = V / f(R) is the width
of the base layer (its rectangle plus the tail), x[i+1] = f^-1(V / x[i] + f(x[i])) for i >= 1,
and x[256] = 0; f[i] = f(x[i]). R and V are Marsaglia and Tsang's constants for 256 layers.

The tables are committed as exact hexadecimal literals: the committed values are the source of
truth for determinism (this script documents where they came from; another C library could round
an exp or log differently in the last bit).
"""

import math

R = 7.69711747013104972
V = 0.0039496598225815571993
N = 256

x = [0.0] * (N + 1)
x[0] = V / math.exp(-R)
x[1] = R
for i in range(1, N - 1):
    x[i + 1] = -math.log(V / x[i] + math.exp(-x[i]))
x[N] = 0.0
f = [math.exp(-v) for v in x]
f[N] = 1.0


def table(name, values):
    print(f"constexpr std::array<double, {len(values)}> {name} = {{")
    for k in range(0, len(values), 3):
        print("    " + ", ".join(float(v).hex() for v in values[k : k + 3]) + ",")
    print("};")


table("kX", x)
table("kF", f)
