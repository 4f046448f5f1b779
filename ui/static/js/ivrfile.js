// One IVR as a YAML file: Export downloads it (GET /ivrs/{id}/export, the
// configuration file's own shape); Import reads one from a file or from
// pasted text (POST /ivrs/import), shows every problem the server finds
// beside the form, and opens the imported IVR.

import * as api from './api.js';
import {h, fill, field} from './dom.js';

// exportIVR downloads IVR id as ivr-<id>.yaml.
export async function exportIVR(app, id) {
  let r;
  try {
    r = await api.call('GET', '/ivrs/' + encodeURIComponent(id) + '/export');
  } catch (e) {
    app.status('Not exported: ' + e.message, 'error');
    return;
  }
  const url = URL.createObjectURL(r.body);
  const a = h('a', {href: url, download: 'ivr-' + id + '.yaml', hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000); // the download has started by then
  app.status('Exported IVR ' + id + ' as ivr-' + id + '.yaml. The schedules and prompts it names are not in the file.', 'ok');
}

// importForm shows the import form in panel; back returns to where the
// user was.
export function importForm(app, panel, back) {
  const file = h('input', {id: 'import-file', type: 'file', accept: '.yaml,.yml,application/yaml,text/yaml,text/plain'});
  const text = h('textarea', {id: 'import-text', rows: 12, spellcheck: 'false', placeholder: 'ivrs:\n  - id: reception\n    keys: ...'});
  const replace = h('input', {id: 'import-replace', type: 'checkbox'});
  const draft = h('input', {id: 'import-draft', type: 'checkbox'});
  const out = h('div', {id: 'import-result'});
  const cancel = h('button', {type: 'button', id: 'import-cancel'}, 'Cancel');
  cancel.addEventListener('click', back);
  const form = h('form', {id: 'import-form', class: 'form'},
    field('YAML file', file, 'An IVR exported from ivrd, or written as in the configuration file.'),
    field('Or paste YAML', text),
    h('div', {class: 'field'}, h('label', {class: 'choice'}, replace, ' Replace the IVR with the same id')),
    h('div', {class: 'field'}, h('label', {class: 'choice'}, draft, ' Save as a draft of the IVR with the same id (calls get it once published)')),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', id: 'import-go'}, 'Import'), cancel),
    out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = file.files.length ? await file.files[0].text() : text.value;
    if (!body.trim()) { fill(out, problemList([{path: '', message: 'Choose a file or paste the YAML of an IVR.'}])); return; }
    const q = new URLSearchParams();
    if (replace.checked) q.set('replace', 'true');
    if (draft.checked) q.set('draft', 'true');
    let res;
    try {
      res = (await api.call('POST', '/ivrs/import' + (q.size ? '?' + q : ''), {body, raw: true, type: 'application/yaml'})).body;
    } catch (err) {
      fill(out, h('p', {}, 'Not imported:'), problemList(err.problems.length ? err.problems : [{path: '', message: err.message}]));
      out.querySelector('#import-problems').focus();
      return;
    }
    await app.refresh(res.id);
    app.select({node: 'menu:' + res.id});
    app.status((res.draft ? 'Imported IVR ' + res.id + ' as a draft (revision ' + res.revision + '): publish it to make it live.'
      : (res.replaced ? 'Imported IVR ' + res.id + ', replacing the one there.' : 'Imported IVR ' + res.id + '.') + ' New calls get it now.'), 'ok');
  });
  fill(panel, h('h2', {}, 'Import an IVR'), form);
  file.focus();
}

// problemList shows the server's problems, each with where it is (the
// alert is around the list: a list keeps its list role).
function problemList(ps) {
  return h('div', {role: 'alert', id: 'import-problems', tabindex: '-1'}, h('ul', {class: 'problems'},
    ps.map((p) => h('li', {}, p.path ? p.path + ': ' + p.message : p.message))));
}
