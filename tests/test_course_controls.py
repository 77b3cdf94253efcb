"""Sliders get accessible names: every explorer with sliders carries the naming widget (the
browser walk's axe-core check proves it works: without it, aria-input-field-name fails)."""
from __future__ import annotations

import pytest

from lambdakit.course import controls
from lambdakit.course.cost_calculator import cost_calculator
from lambdakit.course.power_tuning import power_tuning_explorer
from lambdakit.course.restaurant import restaurant_explorer
from lambdakit.course.scaling_charts import scaling_explorer, settings_explorer
from lambdakit.course.timeline import burst_explorer


def test_the_naming_widget_labels_slider_handles_after_their_description():
    widget = controls.slider_names()
    assert "aria-label" in widget._esm and ".widget-label" in widget._esm
    assert "application/vnd.jupyter.widget-view+json" in widget._repr_mimebundle_()[0]


@pytest.mark.parametrize("make", [
    lambda: burst_explorer("not-run", run=False), lambda: scaling_explorer(),
    lambda: settings_explorer(), lambda: restaurant_explorer(), lambda: cost_calculator(),
    lambda: power_tuning_explorer(200, 128)])
def test_every_explorer_with_sliders_names_them(make):
    explorer = make()
    names = [child for child in explorer.widget.children
             if type(child).__name__ == "SliderNames"]
    assert len(names) == 1
