"""Invented people for the demo."""

import random

from sibao.demo import data


def person_name(rng: random.Random) -> str:
    """A plausible Chinese name, surnames weighted by how common they are."""
    surnames, weights = zip(*data.SURNAMES, strict=True)
    given = "".join(rng.choice(data.GIVEN_CHARS) for _ in range(2 if rng.random() < 0.72 else 1))
    return rng.choices(surnames, weights)[0] + given
