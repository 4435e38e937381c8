"""Whitelist coverage arithmetic, with no database: ratios, gaps, the greedy "closing the gap" pick, roll-ups.

Coverage is the share of a sector's output value (investment, for key projects; in 10,000 yuan) that
whitelisted firms produce, against the jurisdiction's target (70% in Guancheng, 80% in Jiaozuo: the
`whitelist.coverage_target` parameter). The queries that feed these functions are in selectors.py.

Amounts are `Decimal` with two places (万元), ratios and targets `Decimal` shares between 0 and 1.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")
RATIO_PLACES = Decimal("0.0001")


def amount(value) -> Decimal:
    """An output value as the database returns it (Decimal, float on SQLite sums, None for no rows): 2 places."""
    if value is None:
        return ZERO.quantize(CENT)
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def target_share(value) -> Decimal:
    """The coverage target parameter (0.7, "0.8") as a share; anything outside 0..1 is a bad parameter."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"coverage target {value!r} is not a number")
    share = Decimal(str(value))
    if not share.is_finite() or not ZERO <= share <= 1:
        raise ValueError(f"coverage target {value!r} is not a share between 0 and 1")
    return share


def deadline_date(value) -> dt.date | None:
    """The coverage deadline parameter ("2022-06-30") as a date; None when unset or unreadable."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def ratio(whitelisted: Decimal, total: Decimal) -> Decimal | None:
    """Whitelisted output as a share of the total, to 4 places; None when there is no output at all."""
    if not total:
        return None
    return (whitelisted / total).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def required_output(total: Decimal, target: Decimal) -> Decimal:
    """The whitelisted output the target asks for, rounded up to the cent (reaching it means reaching the target)."""
    return (total * target).quantize(CENT, rounding=ROUND_CEILING)


def gap(total: Decimal, whitelisted: Decimal, target: Decimal) -> Decimal:
    """Output still to be whitelisted to reach the target; zero once it is reached."""
    return max(required_output(total, target) - whitelisted, ZERO).quantize(CENT)


@dataclass(frozen=True)
class Figures:
    """Summed output and firm counts of a set of firms (one sector, one region, or both)."""

    total_output: Decimal = ZERO
    whitelisted_output: Decimal = ZERO
    firms_total: int = 0
    firms_whitelisted: int = 0

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.total_output + other.total_output,
            self.whitelisted_output + other.whitelisted_output,
            self.firms_total + other.firms_total,
            self.firms_whitelisted + other.firms_whitelisted,
        )

    @classmethod
    def from_sums(cls, row: dict) -> "Figures":
        """From an aggregate row: total, covered, firms, firms_covered."""
        return cls(amount(row["total"]), amount(row["covered"]), row["firms"] or 0, row["firms_covered"] or 0)


@dataclass(frozen=True)
class CoverageRow:
    """One line of a coverage table: a sector (None: all sectors) in a region, against its target.

    `target_source` is the parameter record the target came from (`ParameterValue.as_record()`), so the
    figure can explain itself; `deadline` is the date by which the target is due in that jurisdiction.
    """

    region_code: str
    region_name: str
    sector: str | None
    figures: Figures
    target: Decimal
    target_source: dict = field(default_factory=dict)
    deadline: dt.date | None = None
    direct: bool = False  # in a drill-down: firms registered at the parent region itself, not in a child

    @property
    def total_output(self) -> Decimal:
        return self.figures.total_output

    @property
    def whitelisted_output(self) -> Decimal:
        return self.figures.whitelisted_output

    @property
    def firms_total(self) -> int:
        return self.figures.firms_total

    @property
    def firms_whitelisted(self) -> int:
        return self.figures.firms_whitelisted

    @property
    def ratio(self) -> Decimal | None:
        return ratio(self.whitelisted_output, self.total_output)

    @property
    def gap(self) -> Decimal:
        return gap(self.total_output, self.whitelisted_output, self.target)

    @property
    def met(self) -> bool:
        return self.gap == 0


def sum_figures(parts: Iterable[Figures]) -> Figures:
    total = Figures()
    for part in parts:
        total = total + part
    return total


def roll_up(figures: dict[str, Figures], prefixes: dict[str, str]) -> dict[str, Figures]:
    """Figures per region from figures per registered region code: `prefixes` maps a region to its subtree prefix.

    A firm registered at a street counts for the street, its county, its city and the province.
    """
    return {
        code: sum_figures(f for registered, f in figures.items() if registered.startswith(prefix))
        for code, prefix in prefixes.items()
    }


# --- closing the gap -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A firm not (or no longer) whitelisted, as the gap list shows it."""

    enterprise_id: int
    name: str
    credit_code: str
    region_code: str
    output: Decimal
    entry_status: str | None  # None: never on the whitelist
    application_id: int | None  # its pending application, if it applied


@dataclass(frozen=True)
class Pick:
    """A candidate in the gap list, with the coverage the list reaches once it and those above it are admitted."""

    candidate: Candidate
    cumulative_output: Decimal
    cumulative_ratio: Decimal | None

    @property
    def applied(self) -> bool:
        return self.candidate.application_id is not None


def greedy_picks(
    candidates: Iterable[Candidate], *, whitelisted: Decimal, total: Decimal, target: Decimal
) -> tuple[list[Pick], bool]:
    """The fewest candidates whose admission reaches the target, and whether the target is reached.

    `candidates` must come largest output first: taking the largest remaining firm each time reaches
    any amount with the fewest firms (an exchange argument: any smaller set could swap its firms for
    larger ones and still reach it). Candidates are consumed lazily, so a caller may stream them. When
    the target is out of reach, every candidate is returned and the flag is False.
    """
    needed = required_output(total, target)
    covered = whitelisted
    if covered >= needed:
        return [], True
    picks: list[Pick] = []
    for candidate in candidates:
        covered += candidate.output
        picks.append(Pick(candidate, covered, ratio(covered, total)))
        if covered >= needed:
            return picks, True
    return picks, False


def largest_first(pages: Iterable[list[Candidate]]) -> Iterator[Candidate]:
    """Flatten pages of candidates (each already sorted, largest first) into one stream."""
    for page in pages:
        yield from page


# --- results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageTable:
    """A coverage table of a region on a day: `rows` (per sector, or per child region) and the `total` row."""

    region_code: str
    region_name: str
    sector: str | None  # the sector a per-region table is limited to; None: all sectors
    on: dt.date
    rows: list[CoverageRow]
    total: CoverageRow


@dataclass(frozen=True)
class GapPlan:
    """Closing the gap: the firms to admit, in order, for a sector of a region to reach its target.

    `reached` is False when admitting every listed firm still falls short (then all candidates are
    listed); `suspended_output` is output the list cannot count because its firms are suspended.
    """

    row: CoverageRow
    on: dt.date
    picks: list[Pick]
    reached: bool
    suspended_output: Decimal = ZERO

    @property
    def already_met(self) -> bool:
        return self.row.met

    @property
    def admitted_output(self) -> Decimal:
        """Output the listed firms would add."""
        return self.picks[-1].cumulative_output - self.row.whitelisted_output if self.picks else ZERO

    @property
    def ratio_after(self) -> Decimal | None:
        """Coverage once every listed firm is admitted."""
        return self.picks[-1].cumulative_ratio if self.picks else self.row.ratio

    @property
    def applied(self) -> int:
        """How many of the listed firms have already applied."""
        return sum(pick.applied for pick in self.picks)
