"""Small statistics for the search study: a mean with its 95% confidence interval, Pearson's r, and correlations
averaged over seeds through Fisher's z (r is not additive; z = atanh r is, and is near normal)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import StatisticsError, correlation, fmean, stdev

#: Student's t 97.5% quantiles for 1..30 degrees of freedom (beyond, a Cornish-Fisher expansion around 1.96)
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t_quantile(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (the same on every machine)."""
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 95% confidence interval of the mean (Student's t); the interval is NaN with fewer than 2 values."""
    mean = fmean(values)
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = t_quantile(len(values) - 1) * stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None with fewer than 3 points or when either side does not vary (r is then undefined)."""
    if len(xs) < 3:
        return None
    try:
        return correlation(xs, ys)
    except StatisticsError:
        return None


def mean_r(rs: Sequence[float]) -> tuple[float, float, float]:
    """Mean correlation and its 95% interval, averaged on Fisher's z scale and mapped back (r = ±1 is clipped)."""
    zs = [math.atanh(max(-0.999999, min(0.999999, r))) for r in rs]
    mean, low, high = mean_ci(zs)
    return math.tanh(mean), math.tanh(low), math.tanh(high)
