"""Concurrency as a restaurant: tables, a party's reserved tables, and tables laid in advance.

The analogy, played by Lambda's own concurrency rules (:mod:`lambdakit.concurrency`):

=========================  ===========================================
restaurant                 Lambda
=========================  ===========================================
tables                     the account's concurrency limit
a diner at a table         one invocation running
a party's reserved tables  reserved concurrency of one function
tables laid in advance     provisioned concurrency (no wait to set up)
setting a table first      a cold start (Init) in a new environment
diners turned away         throttled invocations (429)
=========================  ===========================================

:func:`seat` seats everyone who arrives at the same moment and says who was
turned away and why; :func:`plot_restaurant` draws the floor plan;
:func:`restaurant_explorer` puts both behind sliders.

>>> from lambdakit.course.restaurant import seat
>>> print(seat(tables=120, reserved=10, laid=4, party=12, walk_ins=115))
party of 12: 4 at tables laid in advance, 6 at tables set on arrival, 2 turned away
walk-ins 115: 110 seated, 5 turned away
"""
from __future__ import annotations

import dataclasses
from typing import Any

from ..concurrency import UNLIMITED, ConcurrencyConfigError, ConcurrencyModel
from . import charts
from .controls import slider_names

__all__ = ["Seating", "seat", "plot_restaurant", "describe_floor", "restaurant_explorer",
           "RestaurantExplorer"]

PARTY, WALK_INS, ALIAS = "party", "walk-ins", "live"

#: How each kind of table is drawn: (palette meaning, filled?, hatch). A taken table is
#: filled, an empty one is an outline; a reserved empty table is hatched.
STYLES = {
    "laid_busy": ("provisioned", True, None), "laid_free": ("provisioned", False, None),
    "reserved_busy": ("cold_start", True, None), "reserved_free": ("empty", False, "///"),
    "party_shared": ("cold_start", True, None), "walk_in": ("other", True, None),
    "shared_free": ("empty", False, None),
}
#: Each kind of table's colour, from the course palette.
COLORS = {key: charts.color(meaning) for key, (meaning, _, _) in STYLES.items()}


@dataclasses.dataclass
class Seating:
    """Who sat where when everyone arrived at once.

    laid_for_party: tables laid in advance (provisioned concurrency).
    reserved_for_party: tables kept for the party, laid ones included (reserved concurrency;
        None when the party has no reservation and shares the room with walk-ins).
    shared: tables open to anyone without a reservation (unreserved concurrency).
    party_at_laid / party_set_on_arrival / party_turned_away: the party's guests.
    walk_ins_seated / walk_ins_turned_away: everyone else.
    reasons: the ``Reason`` Lambda would give for each kind of refusal, with counts.
    error: the message Lambda would answer if this configuration is not allowed.
    """

    tables: int
    laid_for_party: int
    reserved_for_party: int | None
    shared: int
    party: int
    walk_ins: int
    party_at_laid: int = 0
    party_set_on_arrival: int = 0
    party_turned_away: int = 0
    walk_ins_seated: int = 0
    walk_ins_turned_away: int = 0
    reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    error: str | None = None

    def __str__(self) -> str:
        if self.error:
            return f"not allowed: {self.error}"
        return (f"party of {self.party}: {self.party_at_laid} at tables laid in advance, "
                f"{self.party_set_on_arrival} at tables set on arrival, "
                f"{self.party_turned_away} turned away\n"
                f"walk-ins {self.walk_ins}: {self.walk_ins_seated} seated, "
                f"{self.walk_ins_turned_away} turned away")


def seat(tables: int = 120, reserved: int | None = 10, laid: int = 4, party: int = 12,
         walk_ins: int = 100) -> Seating:
    """Seat a party and some walk-ins who all arrive at the same moment.

    tables: the room's size (the account's concurrency limit).
    reserved: tables reserved for the party (reserved concurrency); 0 or None: no reservation.
    laid: tables laid in advance for the party (provisioned concurrency); they count
        within the reservation if there is one, otherwise they come out of the shared room.
    party, walk_ins: guests arriving, one table each.

    Every arrival asks :class:`~lambdakit.concurrency.ConcurrencyModel`, the same rules
    the kit uses for real invocations, so the room also keeps Lambda's rule that at
    least 100 tables stay open to walk-ins (the unreserved minimum).

    >>> print(seat(tables=120, reserved=30).error)     # doctest: +ELLIPSIS
    Specified ReservedConcurrentExecutions ... below its minimum value of [100].
    """
    for name, value in (("tables", tables), ("laid", laid), ("party", party),
                        ("walk_ins", walk_ins)):
        if value < 0:
            raise ValueError(f"Negative {name} {value}")
    reserved = reserved or None
    model = ConcurrencyModel(account_limit=tables, scaling=UNLIMITED)
    result = Seating(tables=tables, laid_for_party=laid, reserved_for_party=reserved,
                     shared=tables, party=party, walk_ins=walk_ins)
    try:
        model.set_reserved(PARTY, reserved)
        if laid:
            model.set_provisioned(PARTY, ALIAS, laid)
    except ConcurrencyConfigError as error:
        result.error = error.message
        return result
    result.shared = model.unreserved_concurrency
    reasons: dict[str, int] = {}
    for function, count in ((PARTY, party), (WALK_INS, walk_ins)):
        for _ in range(count):
            decision = model.try_acquire(function, ALIAS if function == PARTY else "$LATEST", now=0)
            if not decision.ok:
                reasons[decision.reason] = reasons.get(decision.reason, 0) + 1
                if function == PARTY:
                    result.party_turned_away += 1
                else:
                    result.walk_ins_turned_away += 1
            elif function == WALK_INS:
                result.walk_ins_seated += 1
            elif decision.provisioned:
                result.party_at_laid += 1
            else:
                result.party_set_on_arrival += 1
    result.reasons = reasons
    return result


def _tables(seating: Seating) -> list[str]:
    """One colour key per table, in floor-plan order: laid, reserved, shared."""
    s = seating
    laid = ["laid_busy"] * s.party_at_laid + ["laid_free"] * (s.laid_for_party - s.party_at_laid)
    if s.reserved_for_party is not None:
        on_demand = s.reserved_for_party - s.laid_for_party
        reserved = (["reserved_busy"] * s.party_set_on_arrival
                    + ["reserved_free"] * (on_demand - s.party_set_on_arrival))
        shared = ["walk_in"] * s.walk_ins_seated
    else:  # no reservation: the party's extra guests sit among the walk-ins
        reserved = []
        shared = ["party_shared"] * s.party_set_on_arrival + ["walk_in"] * s.walk_ins_seated
    shared += ["shared_free"] * (s.shared - len(shared))
    return laid + reserved + shared


_LEGEND = [("laid_busy", "party, table laid in advance (provisioned)"),
           ("reserved_busy", "party, table set on arrival (cold start)"),
           ("party_shared", "party, set on arrival among the walk-ins (cold start)"),
           ("walk_in", "walk-in (another function)"),
           ("laid_free", "laid in advance (provisioned), empty"),
           ("reserved_free", "reserved for the party, empty"),
           ("shared_free", "open to anyone, empty")]


def _square(key: str, x: float, y: float) -> Any:
    from matplotlib.patches import Rectangle

    meaning, filled, hatch = STYLES[key]
    c = charts.color(meaning)
    return Rectangle((x, y), 0.8, 0.8, facecolor=c if filled else "white", edgecolor=c,
                     linewidth=1.2, hatch=hatch)


def plot_restaurant(seating: Seating, columns: int = 20, ax: Any = None) -> charts.Chart:
    """Draw the floor plan: one square per table, coloured by who sits there (an empty
    table is an outline).

    Returns a :class:`~lambdakit.course.charts.Chart` (Jupyter shows it when it is a
    cell's result); ``str(chart)`` says what it shows.
    """
    from matplotlib.patches import Patch

    tables = [] if seating.error else _tables(seating)
    rows = max(1, -(-len(tables) // columns))
    if ax is None:
        fig = charts.new_figure(9.5, 0.26 * rows + 0.8)
        ax = fig.add_subplot()
    for index, key in enumerate(tables):
        row, col = divmod(index, columns)
        ax.add_patch(_square(key, col + 0.1, rows - row - 1 + 0.1))
    ax.set_xlim(0, columns)
    ax.set_ylim(0, rows)
    ax.set_aspect("equal")
    ax.axis("off")
    if seating.error:
        ax.set_title("Lambda would refuse this configuration:\n" + seating.error,
                     fontsize=charts.LABEL_PT, color=charts.color("error"), wrap=True)
        return charts.Chart(ax.figure, "Floor plan not drawn: Lambda would refuse this "
                                       f"configuration: {seating.error}")
    turned_away = seating.party_turned_away + seating.walk_ins_turned_away
    charts.label(ax, f"{seating.tables} tables · {turned_away} guests turned away")
    handles = []
    for key, text in _LEGEND:
        if key in tables:
            meaning, filled, hatch = STYLES[key]
            c = charts.color(meaning)
            handles.append(Patch(facecolor=c if filled else "white", edgecolor=c, hatch=hatch,
                                 linewidth=1.2, label=text))
    charts.legend_outside(ax, handles)
    return charts.Chart(ax.figure, describe_floor(seating, columns))


def describe_floor(seating: Seating, columns: int = 20) -> str:
    """The floor plan in words: how many tables of each kind, and who was turned away."""
    if seating.error:
        return f"Lambda would refuse this configuration: {seating.error}"
    tables = _tables(seating)
    counts = ", ".join(f"{tables.count(key)} {text}" for key, text in _LEGEND if key in tables)
    return (f"Floor plan of the restaurant, one square per table, {columns} to a row: {counts}. "
            + str(seating).replace("\n", "; ") + ".")


class RestaurantExplorer:
    """Sliders for the room, the party and the walk-ins, with the floor plan and a summary.

    Made by :func:`restaurant_explorer`; displays itself in Jupyter. Moving a slider
    seats everyone again; ``update()`` does the same from Python, and ``seating`` and
    ``figure`` hold the latest result.
    """

    def __init__(self, tables: int, reserved: int, laid: int, party: int, walk_ins: int):
        import ipywidgets as w

        style, layout = {"description_width": "210px"}, w.Layout(width="520px")

        def slider(value: int, low: int, high: int, text: str) -> Any:
            return w.IntSlider(value=value, min=low, max=high, description=text, style=style,
                               layout=layout, continuous_update=False)

        self.tables = slider(tables, 100, 200, "tables (account limit)")
        self.reserved = slider(reserved, 0, 60, "reserved for the party")
        self.laid = slider(laid, 0, 30, "laid in advance (provisioned)")
        self.party = slider(party, 0, 60, "party guests arriving")
        self.walk_ins = slider(walk_ins, 0, 200, "walk-ins arriving")
        self.summary = w.HTML()
        self.output = w.Output()
        self.seating: Seating | None = None
        self.figure: Any = None
        for control in (self.tables, self.reserved, self.laid, self.party, self.walk_ins):
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([slider_names(), self.tables, self.reserved, self.laid, self.party,
                              self.walk_ins,
                              self.summary, self.output])
        self.update()

    def update(self) -> Seating:
        """Seat everyone with the sliders' values; redraw."""
        from IPython.display import display

        self.seating = seat(self.tables.value, self.reserved.value, self.laid.value,
                            self.party.value, self.walk_ins.value)
        self.figure = plot_restaurant(self.seating)
        lines = str(self.seating).replace("\n", "<br>")
        reasons = "".join(f"<br>&nbsp;&nbsp;429 <code>{reason}</code> × {count}"
                          for reason, count in self.seating.reasons.items())
        self.summary.value = f"<p>{lines}{reasons}</p>"
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)
        return self.seating

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def restaurant_explorer(tables: int = 120, reserved: int = 10, laid: int = 4, party: int = 12,
                        walk_ins: int = 100) -> RestaurantExplorer:
    """The restaurant behind five sliders, starting at the arguments' values (see :func:`seat`).

    >>> restaurant_explorer()     # doctest: +SKIP
    """
    return RestaurantExplorer(tables, reserved, laid, party, walk_ins)
