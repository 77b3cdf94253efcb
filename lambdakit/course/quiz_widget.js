// The knowledge-check widget's front end (anywidget ESM). Python grades and records;
// this file draws the question, reports the learner's choice (`value`) and the presses of
// Check (`checks`) and Show answer (`reveals`), and draws the `result` Python sends back.
//
// Keyboard: each radio group is one tab stop (roving tabindex); arrow keys, Home and End move
// and select inside it, Space and Enter select; keys pressed inside the widget never reach
// JupyterLab's notebook shortcuts (so arrows do not move the cell selection).

let counter = 0;

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// A radio group drawn as ARIA radios: whole, wrapping labels; one tab stop; arrows move.
function radioGroup({ options, labelledby, label, compact, selected, onSelect }) {
  const group = h("div", { role: "radiogroup", class: "lk-quiz-options" + (compact ? " lk-quiz-compact" : ""),
                           "aria-labelledby": labelledby, "aria-label": labelledby ? null : label });
  const radios = options.map(([key, text, ariaLabel]) => {
    const radio = h("div", { role: "radio", class: "lk-quiz-option", "data-key": key,
                             "aria-checked": "false", tabindex: "-1", "aria-label": ariaLabel || null },
                    h("span", { class: "lk-quiz-control", "aria-hidden": "true" }),
                    h("span", { class: "lk-quiz-option-text", text }),
                    h("span", { class: "lk-quiz-option-mark" }));
    radio.addEventListener("click", () => choose(radio, true));
    return radio;
  });
  group.append(...radios);
  function set(key) {
    let focusable = null;
    for (const radio of radios) {
      const on = radio.dataset.key === key;
      radio.setAttribute("aria-checked", on ? "true" : "false");
      radio.tabIndex = -1;
      if (on) focusable = radio;
    }
    (focusable || radios[0]).tabIndex = 0;
  }
  function choose(radio, focus) {
    set(radio.dataset.key);
    if (focus) radio.focus();
    onSelect(radio.dataset.key);
  }
  group.addEventListener("keydown", (event) => {
    const index = radios.indexOf(event.target.closest("[role=radio]"));
    if (index < 0) return;
    const last = radios.length - 1;
    const moves = { ArrowDown: index + 1, ArrowRight: index + 1, ArrowUp: index - 1, ArrowLeft: index - 1,
                    Home: 0, End: last };
    if (event.key in moves) {
      const next = (moves[event.key] + radios.length) % radios.length;
      choose(radios[next], true);
      event.preventDefault();
    } else if (event.key === " " || event.key === "Enter") {
      choose(radios[index], false);
      event.preventDefault();
    }
  });
  set(selected);
  return { node: group, set, radios };
}

function render({ model, el }) {
  const uid = `lk-quiz-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const root = h("div", { class: "lk-quiz-question", role: "group", "aria-labelledby": `${uid}-prompt`,
                          "data-lm-suppress-shortcuts": "true" });
  el.append(root);
  let marks = {}; // option or item key -> element to mark

  function value() { return model.get("value"); }
  function setValue(v) { model.set("value", v); model.save_changes(); }

  function draw() {
    const spec = model.get("spec");
    root.replaceChildren();
    marks = {};
    const prompt = h("p", { class: "lk-quiz-prompt", id: `${uid}-prompt` },
                     spec.number ? h("span", { class: "lk-quiz-number", text: `Check ${spec.number}. ` }) : null,
                     h("span", { text: spec.prompt }));
    root.append(prompt);
    if (spec.context_html) root.append(h("div", { class: "lk-quiz-context" }));
    if (spec.context_html) root.lastChild.innerHTML = spec.context_html; // escaped by Python

    if (spec.type === "single") {
      const short = spec.options.every(([, text]) => text.length <= 40) && spec.options.length > 6;
      const group = radioGroup({ options: spec.options, labelledby: `${uid}-prompt`, compact: short,
                                 selected: value(), onSelect: (key) => setValue(key) });
      group.radios.forEach((radio) => { marks[radio.dataset.key] = radio; });
      root.append(group.node);
    } else if (spec.type === "multiple") {
      const box = h("div", { class: "lk-quiz-options", role: "group", "aria-labelledby": `${uid}-prompt` });
      const chosen = new Set(value() || []);
      const inputs = spec.options.map(([key, text], i) => {
        const id = `${uid}-opt-${i}`;
        const input = h("input", { type: "checkbox", id, class: "lk-quiz-checkbox", "data-key": key });
        input.checked = chosen.has(key);
        const label = h("label", { for: id, class: "lk-quiz-option", "data-key": key }, input,
                        h("span", { class: "lk-quiz-option-text", text }),
                        h("span", { class: "lk-quiz-option-mark" }));
        marks[key] = label;
        input.addEventListener("change", () => {
          setValue(inputs.filter((x) => x.checked).map((x) => x.dataset.key));
        });
        box.append(label);
        return input;
      });
      box.addEventListener("keydown", (event) => {
        const index = inputs.indexOf(event.target);
        if (index < 0) return;
        const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[event.key];
        if (step) {
          inputs[(index + step + inputs.length) % inputs.length].focus();
          event.preventDefault();
        } else if (event.key === "Enter") {
          inputs[index].click();
          event.preventDefault();
        }
      });
      root.append(box);
    } else {
      // matching: the choices listed once, whole; each row picks one by letter (a radio group)
      const letters = spec.choices.map((_, i) => String.fromCharCode(65 + i));
      const legend = h("ol", { class: "lk-quiz-choices", type: "A", id: `${uid}-choices`,
                               "aria-label": "Choices" });
      spec.choices.forEach(([, text]) => legend.append(h("li", { text })));
      root.append(h("p", { class: "lk-quiz-choices-title", text: "Choices:" }), legend);
      const rows = h("ol", { class: "lk-quiz-rows" });
      const current = { ...(value() || {}) };
      spec.items.forEach(([item, text], i) => {
        const itemId = `${uid}-item-${i}`;
        const picked = h("span", { class: "lk-quiz-picked", "aria-live": "polite" });
        const showPicked = (key) => {
          const at = spec.choices.findIndex(([c]) => c === key);
          picked.textContent = at < 0 ? "not matched yet" : `${letters[at]}: ${spec.choices[at][1]}`;
        };
        const group = radioGroup({
          options: spec.choices.map(([key, ctext], j) => [key, letters[j], `${letters[j]}: ${ctext}`]),
          labelledby: itemId, compact: true, selected: current[item],
          onSelect: (key) => { current[item] = key; showPicked(key); setValue({ ...current }); },
        });
        showPicked(current[item]);
        const row = h("li", { class: "lk-quiz-row", "data-key": item },
                      h("span", { class: "lk-quiz-item", id: itemId, text }),
                      h("div", { class: "lk-quiz-row-pick" }, group.node, picked),
                      h("span", { class: "lk-quiz-option-mark" }));
        marks[item] = row;
        rows.append(row);
      });
      root.append(rows);
    }

    const check = h("button", { type: "button", class: "lk-quiz-button lk-quiz-check", text: "Check" });
    const reveal = h("button", { type: "button", class: "lk-quiz-button lk-quiz-show-answer",
                                 text: "Show answer" });
    check.addEventListener("click", () => { model.set("checks", model.get("checks") + 1); model.save_changes(); });
    reveal.addEventListener("click", () => { model.set("reveals", model.get("reveals") + 1); model.save_changes(); });
    root.append(h("div", { class: "lk-quiz-buttons" }, check, reveal));
    root.append(h("div", { class: "lk-quiz-feedback", role: "status", "aria-live": "polite" }));
    drawResult();
  }

  function drawResult() {
    const result = model.get("result") || {};
    const spec = model.get("spec");
    const feedback = root.querySelector(".lk-quiz-feedback");
    if (!feedback) return;
    feedback.replaceChildren();
    feedback.classList.remove("lk-quiz-correct", "lk-quiz-wrong", "lk-quiz-revealed", "lk-quiz-incomplete");
    for (const node of Object.values(marks)) {
      node.classList.remove("lk-quiz-marked-wrong", "lk-quiz-marked-right");
      const mark = node.querySelector(":scope > .lk-quiz-option-mark");
      if (mark) mark.textContent = "";
    }
    if (!result.state) return;
    feedback.classList.add(`lk-quiz-${result.state}`);
    const icon = { correct: "✔ ", wrong: "✘ " }[result.state] || "";
    feedback.append(h("p", { class: "lk-quiz-verdict" }, h("strong", { text: icon + result.message })));
    const wrongWord = spec.type === "matching" ? "✘ wrong match" : "✘ your choice: not right";
    for (const key of result.marks || []) {
      const node = marks[key];
      if (!node) continue;
      node.classList.add("lk-quiz-marked-wrong");
      node.querySelector(":scope > .lk-quiz-option-mark").textContent = wrongWord;
    }
    for (const key of result.right_keys || []) {
      const node = marks[key];
      if (!node || node.classList.contains("lk-quiz-marked-wrong")) continue;
      node.classList.add("lk-quiz-marked-right");
      node.querySelector(":scope > .lk-quiz-option-mark").textContent =
        result.state === "correct" ? "✔" : (spec.type === "matching" ? "✔ right match" : "✔ right answer");
    }
    if (result.hint) {
      feedback.append(h("p", { class: "lk-quiz-hint" }, h("strong", { text: "Hint: " }),
                        h("span", { text: result.hint })));
    }
    if (result.answer) {
      feedback.append(h("p", { class: "lk-quiz-answer" }, h("strong", { text: "Answer: " }),
                        h("span", { text: result.answer })));
    }
    if (result.explanation_html) {
      const explanation = h("div", { class: "lk-quiz-explanation" });
      explanation.innerHTML = result.explanation_html; // escaped by Python
      feedback.append(explanation);
    }
  }

  // keys pressed inside the widget are the widget's: JupyterLab's notebook shortcuts
  // (arrows select cells, A/B insert cells, D D deletes one) must not see them
  root.addEventListener("keydown", (event) => {
    if (event.key === "Tab" || event.key === "Escape" || event.ctrlKey || event.metaKey || event.altKey
        || (event.shiftKey && event.key === "Enter")) return;
    event.stopPropagation();
  });

  const redraw = () => draw();
  model.on("change:spec", redraw);
  model.on("change:result", drawResult);
  draw();
  return () => {
    model.off("change:spec", redraw);
    model.off("change:result", drawResult);
  };
}

export default { render };
