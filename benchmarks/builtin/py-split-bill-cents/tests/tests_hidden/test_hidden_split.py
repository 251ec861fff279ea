from decimal import Decimal

import pytest

from splitter.bill import split_bill
from splitter.money import allocate

D = Decimal


def test_three_ways():
    shares = allocate("100.00", [1, 1, 1])
    assert shares == [D("33.34"), D("33.33"), D("33.33")]
    assert all(isinstance(s, Decimal) for s in shares)


def test_largest_remainder():
    # exact: 1.428571.., 2.857142.., 5.714285.. -> truncated 1.42, 2.85, 5.71 (sum 9.98); remainders .857, .714, .428
    assert allocate("10.00", [1, 2, 4]) == [D("1.43"), D("2.86"), D("5.71")]


@pytest.mark.parametrize("total,weights", [
    ("0.05", [1, 1, 1, 1]), ("999.99", [3, 7, 11]), ("12.34", [1]), ("1.00", [0, 1, 1]), ("7.77", [5, 5, 5, 5, 5, 5, 5]),
])
def test_sums_and_fairness(total, weights):
    shares = allocate(total, weights)
    assert sum(shares) == D(total)
    exact = [D(total) * w / sum(weights) for w in weights]
    assert all(abs(s - e) < D("0.01") for s, e in zip(shares, exact))


def test_rounding_and_refunds():
    assert sum(allocate("10.005", [1, 1])) == D("10.01")
    refund = allocate("-100.00", [1, 1, 1])
    assert sum(refund) == D("-100.00")
    assert sorted(refund) == [D("-33.34"), D("-33.33"), D("-33.33")]


def test_bad_weights():
    for weights in ([0, 0], [1, -1], []):
        with pytest.raises(ValueError):
            allocate("1.00", weights)


def test_split_bill():
    shares = split_bill("100.00", 15, 3)
    assert sum(shares) == D("115.00")
    assert sorted(shares) == [D("38.33"), D("38.33"), D("38.34")]
    assert sum(split_bill("47.10", 18, 4)) == D("55.58")
