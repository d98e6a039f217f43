import math

import pytest

from edgeinspect.export import expected_false_rejects, false_reject_note, lone_outlier


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


def test_lone_outlier_is_calibrates_rule():
    """The cases of Calibration.loneOutlier's Swift test."""
    assert lone_outlier([0.3, 3.01, 1.53, 0.25]) == (1, pytest.approx(3.01 / 1.53))
    assert lone_outlier([0.3, 1.2, 1.0, 0.25]) is None
    assert lone_outlier([2, 2, 1]) is None
    assert lone_outlier([0, 0, 0.1]) == (2, math.inf)
    assert lone_outlier([5]) is None and lone_outlier([]) is None
    note = false_reject_note([0.3, 3.01, 1.53, 0.25], 0.99, 1.1, ["a.png", "020.png", "c.png", "d.png"])
    assert "warning: 020.png alone sets the threshold: it scores 2.0x the next image" in note
    assert "warning" not in false_reject_note([0.3, 1.2, 1.0, 0.25], 0.99, 1.1)
