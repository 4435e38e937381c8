"""The second half of the outsider walk (test_outsider_walk.py): officials of other places and sectors."""

import pytest

from sibao.tests.test_outsider_walk import OUTSIDERS_THERE, outsider_id, walk_as_outsider, world  # noqa: F401 (fixture)


@pytest.mark.parametrize("outsider", OUTSIDERS_THERE, ids=outsider_id)
def test_officials_elsewhere_are_refused_everywhere_and_change_nothing(world, client, outsider):  # noqa: F811
    walk_as_outsider(world, client, outsider)
