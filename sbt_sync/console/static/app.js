// Progressive enhancement only: every page works without this script, and with the keyboard alone.
// No click-only handlers here: whatever a mouse does, Tab, Enter and Space do too.

// A header checkbox with data-select-all="NAME" ticks every checkbox named NAME in its form
// ("change" fires for Space as for a click).
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  const form = box.closest("form") || document;
  form.querySelectorAll(`input[type=checkbox][name="${box.dataset.selectAll}"]`).forEach((b) => {
    b.checked = box.checked;
  });
});

// A table wider than the screen scrolls sideways in its .scroll box: while it overflows, the box is a
// named region in the Tab order, so the arrow keys scroll it (WCAG 2.1.1); when it fits, it is not a
// stop on the way. Its name is its table's (aria-label or caption).
function scrollersReachable() {
  document.querySelectorAll(".scroll").forEach((box) => {
    const overflows = box.scrollWidth > box.clientWidth + 1;
    if (overflows && !box.hasAttribute("tabindex")) {
      const table = box.querySelector("table");
      const name = table && (table.getAttribute("aria-label") || table.caption?.textContent?.trim());
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      if (name) box.setAttribute("aria-label", name);
      box.dataset.scrollFocus = "1";
    } else if (!overflows && box.dataset.scrollFocus) {
      ["tabindex", "role", "aria-label", "data-scroll-focus"].forEach((a) => box.removeAttribute(a));
    }
  });
}
document.addEventListener("DOMContentLoaded", scrollersReachable);
window.addEventListener("resize", () => window.requestAnimationFrame(scrollersReachable));
