// A menu's revisions: every save (live or draft) with who, when and what
// changed from the one before, which one calls get now, and rolling back
// to any of them (which publishes it).

import * as api from './api.js';
import {h, fill} from './dom.js';

const when = (t) => new Date(t).toLocaleString([], {dateStyle: 'medium', timeStyle: 'short'});

export async function revisionsPanel(app, panel, id, back) {
  const enc = encodeURIComponent(id);
  const backBtn = h('button', {type: 'button', id: 'revisions-back'}, '← Back to menu ' + id);
  backBtn.addEventListener('click', back);
  const head = h('h2', {}, 'Revisions of ', h('code', {}, id));
  fill(panel, head, backBtn, h('p', {class: 'muted'}, 'Loading…'));
  let list;
  try {
    list = (await api.call('GET', '/ivrs/' + enc + '/revisions')).body;
  } catch (e) {
    fill(panel, head, backBtn, h('p', {class: 'error', role: 'alert'}, 'Revisions not loaded: ' + e.message));
    return;
  }
  const live = app.cfg.ivrs.get(id);
  const liveRev = list.items.find((r) => r.live_version > 0 && r.live_version === list.live_version);
  const items = list.items.map((rev) => {
    const isLive = rev.live_version > 0 && rev.live_version === list.live_version;
    const tags = [isLive ? h('span', {class: 'tag live'}, 'live') : null, rev.n === list.draft ? h('span', {class: 'tag'}, 'draft') : null];
    let restore = null;
    if (app.canWrite && !isLive) {
      restore = h('button', {type: 'button', class: 'edit-only', 'aria-label': 'Roll back to revision ' + rev.n}, 'Roll back');
      restore.addEventListener('click', async () => {
        try {
          const r = await api.call('POST', '/ivrs/' + enc + '/revisions/' + rev.n + '/restore', {etag: live ? api.etagOf(live) : undefined});
          app.cfg.ivrs.set(id, r.body);
          app.staged.delete(id);
          app.drafts.delete(id);
          app.showProblems([]);
          app.redraw();
          app.status('Rolled menu ' + id + ' back to revision ' + rev.n + ': live as version ' + r.body.version + '. New calls get it now.', 'ok');
        } catch (e) {
          app.status('Not rolled back: ' + (e.status === 412 ? 'menu ' + id + ' changed meanwhile; look again.' : e.message), 'error');
        }
        revisionsPanel(app, panel, id, back);
      });
    }
    let compare = null;
    const diff = h('div', {class: 'changes', role: 'status'});
    if (liveRev && liveRev.n !== rev.n) {
      compare = h('button', {type: 'button', 'aria-label': 'Compare with live: revision ' + rev.n}, 'Compare with live');
      compare.addEventListener('click', async () => {
        try {
          const r = (await api.call('GET', '/ivrs/' + enc + '/revisions/' + rev.n + '?against=' + liveRev.n)).body;
          diff.textContent = 'From the live revision ' + liveRev.n + ' to this one: ' + r.changes.join(', ') + '.';
        } catch (e) {
          diff.textContent = 'Not compared: ' + e.message;
        }
      });
    }
    const who = rev.who || 'before revisions were kept';
    const said = rev.action === 'restore' ? 'rolled back to revision ' + rev.restored_from : rev.action;
    const pub = rev.published_at && rev.action === 'draft' ? '; published by ' + (rev.published_by || '?') + ', ' + when(rev.published_at) : '';
    return h('li', {'data-n': rev.n, class: isLive ? 'live' : ''},
      h('div', {}, h('strong', {}, 'Revision ' + rev.n), ' ', tags),
      h('div', {class: 'muted'}, said + ' by ' + who + ', ' + when(rev.at) + pub),
      h('div', {class: 'changes'}, rev.changes.join(', ')),
      h('div', {class: 'actions'}, compare, restore), diff);
  });
  fill(panel, head, backBtn,
    h('p', {class: 'muted'}, 'Newest first. Each save is kept; rolling back publishes that revision as a new one.'),
    h('ol', {class: 'revisions', id: 'revision-list', 'aria-label': 'Revisions of ' + id}, items));
}
