"""lambdakit.course.restaurant: the restaurant analogy, seated by the real concurrency rules."""
from __future__ import annotations

import doctest

import pytest

from lambdakit.course import restaurant
from lambdakit.course.restaurant import plot_restaurant, restaurant_explorer, seat

RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT = "ConcurrentInvocationLimitExceeded"


def test_a_booked_party_is_guaranteed_and_capped():
    s = seat(tables=120, reserved=10, laid=4, party=12, walk_ins=100)
    assert (s.party_at_laid, s.party_set_on_arrival, s.party_turned_away) == (4, 6, 2)
    assert (s.walk_ins_seated, s.walk_ins_turned_away) == (100, 0)
    assert (s.shared, s.reserved_for_party, s.laid_for_party) == (110, 10, 4)
    assert s.reasons == {RESERVED: 2} and s.error is None


def test_walk_ins_beyond_the_shared_tables_are_turned_away_and_the_party_does_not_notice():
    s = seat(tables=120, reserved=10, laid=0, party=10, walk_ins=130)
    assert (s.walk_ins_seated, s.walk_ins_turned_away) == (110, 20)
    assert (s.party_set_on_arrival, s.party_turned_away) == (10, 0)
    assert s.reasons == {ACCOUNT: 20}


@pytest.mark.parametrize("reserved", [0, None])
def test_without_a_booking_the_party_competes_with_walk_ins(reserved):
    s = seat(tables=120, reserved=reserved, laid=4, party=12, walk_ins=110)
    assert s.reserved_for_party is None and s.shared == 116  # laid tables leave the shared room
    assert (s.party_at_laid, s.party_set_on_arrival) == (4, 8)
    assert (s.walk_ins_seated, s.walk_ins_turned_away) == (108, 2)


def test_refused_configurations_carry_lambdas_message():
    assert "below its minimum value of [100]" in seat(tables=120, reserved=30).error
    too_many_laid = seat(tables=120, reserved=10, laid=12)
    assert too_many_laid.error.startswith("Requested Provisioned Concurrency should not be greater")
    assert str(too_many_laid).startswith("not allowed: ")
    assert too_many_laid.party_at_laid == too_many_laid.walk_ins_seated == 0


def test_seat_checks_its_arguments():
    with pytest.raises(ValueError, match="Negative walk_ins -1"):
        seat(walk_ins=-1)


def test_floor_plan_has_one_square_per_table_in_booking_order():
    s = seat(tables=120, reserved=10, laid=4, party=7, walk_ins=50)
    keys = restaurant._tables(s)
    assert len(keys) == 120
    assert keys[:10] == ["laid_busy"] * 4 + ["reserved_busy"] * 3 + ["reserved_free"] * 3
    assert keys[10:60] == ["walk_in"] * 50 and set(keys[60:]) == {"shared_free"}
    fig = plot_restaurant(s)
    (ax,) = fig.axes
    assert len(ax.patches) == 120
    assert ax.get_title() == "120 tables · 0 guests turned away"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "party, table laid in advance (provisioned)"


def test_floor_plan_of_a_refused_configuration_says_why():
    fig = plot_restaurant(seat(reserved=30))
    assert "refuse" in fig.axes[0].get_title() and not fig.axes[0].patches


def test_explorer_reseats_when_a_slider_moves():
    explorer = restaurant_explorer()
    assert explorer.seating.party_turned_away == 2 and explorer.figure is not None
    assert RESERVED in explorer.summary.value
    explorer.walk_ins.value = 115
    assert explorer.seating.walk_ins_turned_away == 5
    explorer.reserved.value = 40
    assert explorer.seating.error and "not allowed" in explorer.summary.value
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


def test_docstring_examples():
    assert doctest.testmod(restaurant).failed == 0
