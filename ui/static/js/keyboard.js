// The chart from the keyboard: on a box or a key's bubble, the arrow keys
// move to the nearest box that way (a box it is connected to first),
// Enter or Space opens it (dom.js activate), Delete removes a key (undone
// with Ctrl+Z) or offers to delete a menu. On the empty canvas the arrows
// still pan.

const DIRS = {ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0]};

// nearest is the box from id in direction [ux, uy]: ahead of it, and
// the closest by distance along the way plus twice the distance aside.
function nearest(chart, id, [ux, uy]) {
  const from = chart.pos.get(id);
  if (!from) return null;
  const linked = new Set();
  for (const e of chart.graph.edges) {
    if (e.from === id) linked.add(e.to);
    if (e.to === id) linked.add(e.from);
  }
  let best = null;
  for (const [other, p] of chart.pos) {
    if (other === id) continue;
    const dx = p.x - from.x, dy = p.y - from.y;
    const along = dx * ux + dy * uy;
    if (along <= 1) continue;
    const aside = Math.abs(dx * uy - dy * ux);
    const score = along + 2 * aside - (linked.has(other) ? 1e6 : 0);
    if (!best || score < best.score) best = {id: other, score};
  }
  return best && best.id;
}

// installKeyboard wires the keys on chart.svg; onDelete gets the node id
// or the edge id (for a key's bubble) Delete was pressed on.
export function installKeyboard(chart, {onDelete}) {
  chart.svg.addEventListener('keydown', (e) => {
    const el = e.target.closest && e.target.closest('.node, .elabel');
    if (!el || e.ctrlKey || e.metaKey || e.altKey) return;
    // A key's bubble moves from the box its edge leaves.
    const edge = el.classList.contains('elabel') ? chart.graph.edges.find((x) => x.id === el.dataset.edge) : null;
    const at = edge ? edge.from : el.dataset.id;
    if (DIRS[e.key]) {
      e.preventDefault();
      const next = nearest(chart, at, DIRS[e.key]);
      if (next) { chart.focus(next, {box: true}); chart.reveal(next); }
      return;
    }
    if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      onDelete(edge ? {edge: edge.id} : {node: el.dataset.id});
    }
  });
}
