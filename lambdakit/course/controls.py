"""Accessible names for ipywidgets sliders.

ipywidgets draws a slider's handle as ``<div role="slider">`` without a name: its
description is a separate ``<label>`` the browser does not connect to it, so a screen
reader announces "slider, 0.8" and nothing more (axe-core: aria-input-field-name).
:func:`slider_names` is an invisible widget that, once shown, names every slider handle
on the page after its description (``aria-label``), now and whenever new sliders appear.
Put it next to the sliders of an explorer:

>>> import ipywidgets as w                                    # doctest: +SKIP
>>> pause = w.FloatSlider(description="pause between waves (s)")   # doctest: +SKIP
>>> w.VBox([pause, slider_names()])                          # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

__all__ = ["slider_names"]

#: Runs in the browser: name each unnamed slider handle after its row's description.
_ESM = """
function nameSliders() {
  for (const handle of document.querySelectorAll('.widget-slider [role="slider"]')) {
    const row = handle.closest('.widget-slider');
    const label = row && row.querySelector('.widget-label');
    const text = label && label.textContent.trim();
    if (text && handle.getAttribute('aria-label') !== text) {
      handle.setAttribute('aria-label', text);
    }
  }
}
export default {
  render({ el }) {
    el.style.display = 'none';
    nameSliders();
    if (!window.__lambdakitSliderNames) {  // one observer for the whole page
      let queued = false;
      window.__lambdakitSliderNames = new MutationObserver(() => {
        if (!queued) {
          queued = true;
          requestAnimationFrame(() => { queued = false; nameSliders(); });
        }
      });
      window.__lambdakitSliderNames.observe(document.body, { childList: true, subtree: true });
    }
  },
};
"""

_widget_class: Any = None


def slider_names() -> Any:
    """An invisible widget that gives every slider on the page its description as its
    accessible name (see the module's docstring)."""
    global _widget_class
    if _widget_class is None:
        import anywidget

        class SliderNames(anywidget.AnyWidget):
            _esm = _ESM

        _widget_class = SliderNames
    return _widget_class()
