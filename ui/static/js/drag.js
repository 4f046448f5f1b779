// Direct manipulation on the chart: drag a box to move it (the layout
// is then the chart's own, saved with the IVR), drag a key's bubble onto
// a menu to send that key there. A press that does not move is still a
// click (it selects, as before).

import {s} from './dom.js';

const SLOP = 4; // pixels a press may wander and stay a click

// installDrag wires the pointer on chart.svg. onMoved gets every box's
// position after a box was moved; onConnect gets {edge, path, key, to}
// when a key's bubble was dropped on a menu box (to: its node id).
export function installDrag(chart, {onMoved, onConnect}) {
  const svg = chart.svg;
  let drag = null;
  let swallowClick = false;

  const at = (e) => {
    const r = svg.getBoundingClientRect();
    return {x: (e.clientX - r.left - chart.view.x) / chart.view.k, y: (e.clientY - r.top - chart.view.y) / chart.view.k};
  };
  const menuUnder = (e) => {
    const el = document.elementFromPoint(e.clientX, e.clientY);
    const n = el && el.closest && el.closest('#chart .node');
    return n && (n.classList.contains('t-menu') || n.classList.contains('t-gate')) ? n : null;
  };

  svg.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    const label = e.target.closest('.elabel');
    const node = e.target.closest('.node');
    if (label && /\.keys\.[^.]+$/.test(label.dataset.path || '') && /^ivrs\[/.test(label.dataset.path)) {
      drag = {kind: 'connect', el: label, start: e, p0: at(e), moved: false, id: e.pointerId};
    } else if (node) {
      const p = chart.pos.get(node.dataset.id);
      if (!p) return;
      drag = {kind: 'move', el: node, start: e, p0: at(e), x0: p.x, y0: p.y, moved: false, id: e.pointerId};
    }
    // No pointer capture yet: a press that stays put must remain a click
    // on the box (a captured pointer's click goes to the canvas).
  });

  svg.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    if (!drag.moved && Math.hypot(e.clientX - drag.start.clientX, e.clientY - drag.start.clientY) < SLOP) return;
    if (!drag.moved) svg.setPointerCapture(e.pointerId);
    drag.moved = true;
    const p = at(e);
    if (drag.kind === 'move') {
      chart.moveNode(drag.el.dataset.id, drag.x0 + p.x - drag.p0.x, drag.y0 + p.y - drag.p0.y);
      svg.classList.add('dragging');
      return;
    }
    if (!drag.rubber) {
      drag.rubber = s('path', {class: 'rubber'});
      chart.vp.append(drag.rubber);
      svg.classList.add('connecting');
    }
    drag.rubber.setAttribute('d', `M${drag.p0.x},${drag.p0.y}L${p.x},${p.y}`);
    const over = menuUnder(e);
    svg.querySelectorAll('.drop-target').forEach((n) => { if (n !== over) n.classList.remove('drop-target'); });
    if (over) over.classList.add('drop-target');
  });

  const end = (e, cancelled) => {
    if (!drag || e.pointerId !== drag.id) return;
    const d = drag;
    drag = null;
    svg.classList.remove('dragging', 'connecting');
    d.rubber?.remove();
    svg.querySelectorAll('.drop-target').forEach((n) => n.classList.remove('drop-target'));
    if (!d.moved) return;
    swallowClick = true; // the click that ends a drag selects nothing
    setTimeout(() => { swallowClick = false; }, 0);
    if (cancelled) return;
    if (d.kind === 'move') {
      onMoved(chart.positions());
      return;
    }
    const over = menuUnder(e);
    if (over) onConnect({edge: d.el.dataset.edge, path: d.el.dataset.path, key: d.el.dataset.key, to: over.dataset.id});
  };
  svg.addEventListener('pointerup', (e) => end(e, false));
  svg.addEventListener('pointercancel', (e) => end(e, true));
  svg.addEventListener('click', (e) => {
    if (swallowClick) { e.stopPropagation(); e.preventDefault(); }
  }, true);
}
