import numpy as np

from edgeinspect.border import DEPTH, choose_border, edge_distance


def test_edge_distance():
    d = edge_distance(4, 5)
    assert d.tolist() == [[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]]


def test_rule_picks_the_band_where_good_images_err_more_than_factor_times_the_interior():
    rng = np.random.default_rng(0)
    maps = []
    for h, w in [(150, 200), (180, 130)]:
        e = rng.uniform(0.9, 1.1, (h, w))
        d = edge_distance(h, w)
        e[d < 6] *= 5.0      # a rim 6 pixels deep, much worse than the interior
        e[d == 6] *= 2.5     # just inside it: worse, but within the factor of 3
        maps.append(e)
    border, profile, interior = choose_border(maps)
    assert border == 6
    assert abs(interior - 1.0) < 0.01 and profile[0] > 4.5


def test_no_edge_effect_or_no_interior_gives_zero():
    rng = np.random.default_rng(1)
    assert choose_border([rng.uniform(0.5, 1.5, (100, 100))])[0] == 0
    small = np.full((2 * DEPTH, 300), 3.0)
    small[0] = 100.0
    border, _, interior = choose_border([small])
    assert border == 0 and np.isnan(interior)
