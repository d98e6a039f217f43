import math

import pytest

from edgeinspect.export import expected_false_rejects


def test_cross_validation_counts_what_each_fold_would_reject():
    """The cases Sources/Scoring/Calibration.swift's tests use: one outlier among five is rejected
    only by the fold that holds it out of the threshold."""
    assert expected_false_rejects([1, 1, 1, 1, 10], 0.99, 1.0)[0] == pytest.approx(0.2)
    assert expected_false_rejects([2] * 10, 0.99, 1.0)[0] == 0
    assert all(math.isnan(v) for v in expected_false_rejects([1.0], 0.99, 1.0))


def test_the_bound_is_wilsons_and_narrows_with_more_images():
    rate, bound = expected_false_rejects([1.0] * 70, 0.99, 1.1)
    assert rate == 0 and bound == pytest.approx(0.037218, abs=1e-5)   # 0 of 70 still allows 3.7 %
    assert expected_false_rejects([1.0] * 700, 0.99, 1.1)[1] < bound
