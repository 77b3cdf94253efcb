// A labelled menu (anywidget ESM) for the practice notebook's section and the diagnoser's run.
// Unlike ipywidgets' Dropdown, keys pressed on it stay with it: the arrows change the choice
// and never move JupyterLab's cell selection.
let counter = 0;

function render({ model, el }) {
  const id = `lk-picker-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const wrap = document.createElement("div");
  wrap.className = "lk-quiz-picker";
  const label = document.createElement("label");
  label.htmlFor = id;
  const select = document.createElement("select");
  select.id = id;
  wrap.append(label, select);
  el.append(wrap);

  function draw() {
    label.textContent = model.get("label");
    select.replaceChildren(...model.get("options").map(([value, text]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = text;
      return option;
    }));
    select.value = model.get("value");
  }
  select.addEventListener("change", () => { model.set("value", select.value); model.save_changes(); });
  select.addEventListener("keydown", (event) => {
    if (event.key === "Tab" || event.key === "Escape" || event.ctrlKey || event.metaKey || event.altKey
        || (event.shiftKey && event.key === "Enter")) return;
    event.stopPropagation();
  });
  const redraw = () => draw();
  const revalue = () => { select.value = model.get("value"); };
  model.on("change:options", redraw);
  model.on("change:label", redraw);
  model.on("change:value", revalue);
  draw();
  return () => { model.off("change:options", redraw); model.off("change:label", redraw);
                 model.off("change:value", revalue); };
}

export default { render };
