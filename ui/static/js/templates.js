// Templates for a new IVR: the resources (schedules first, then menus in
// the order they must be created, sub-menus before the menus naming
// them) a starting point of each kind is made of, in the API's JSON.
// Pure functions of the configuration already there (which prompts,
// extensions, groups and mailboxes exist), so what they make validates.

export const TEMPLATES = [
  {id: 'simple', name: 'Simple menu', needsBox: false,
    about: 'One menu: key 1 to a person or team, 0 repeats the menu.'},
  {id: 'hours', name: 'Business hours with voicemail', needsBox: true,
    about: 'Open Monday to Friday 9:00 to 17:00; outside those hours, and when nobody answers, callers leave a message.'},
  {id: 'zendesk', name: 'Zendesk-style menu', needsBox: true,
    about: 'A greeting, then 1 for sales, 2 for a support sub-menu, 3 to leave a message, 0 to repeat (as Zendesk Talk builds its IVRs).'},
];

// build returns {schedules: [..], ivrs: [..]} for template tpl with the
// menu id, name, dialled number (optional) and mailbox (for templates
// that take messages) the form gave.
export function build(tpl, {id, name, number, box}, have) {
  const prompt = (...names) => names.find((n) => have.prompts.includes(n));
  const exts = [...have.extensions.keys()];
  const groups = [...have.groups.keys()];
  // A person or team to ring: a group, else an extension, else nobody
  // yet (hang up, to be set in the editor).
  const reach = (i) => (groups[i] !== undefined ? {group: groups[i]} : exts[i] !== undefined ? {extension: exts[i]} : 'hangup');
  const withOverflow = (d) => (typeof d === 'object' && box ? {...d, overflow: {voicemail: box}} : d);
  const menu = (mid, mname, keys, extra) => clean({
    id: mid, name: mname, prompt: prompt('main-choices'), invalid_prompt: prompt('invalid'), timeout_prompt: prompt('timeout'),
    keys, ...extra,
  });
  const dialled = number ? {extensions: [number]} : {};
  const goodbye = prompt('goodbye') ? {on_failure: {play: prompt('goodbye'), then: 'hangup'}} : {};
  switch (tpl) {
    case 'simple':
      return {schedules: [], ivrs: [menu(id, name, {1: reach(0), 0: 'repeat'}, {...dialled, ...goodbye})]};
    case 'hours': {
      const sid = id + '-hours';
      const closed = clean({prompt: prompt('closed'), then: {voicemail: box}});
      return {
        schedules: [{id: sid, timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', open: ['mon-fri 09:00-17:00'], closed}],
        ivrs: [menu(id, name, {1: withOverflow(reach(0)), 2: {voicemail: box}, 0: 'repeat'}, {...dialled, schedule: sid, ...goodbye})],
      };
    }
    case 'zendesk': {
      const sub = id + '-support';
      return {schedules: [], ivrs: [
        menu(sub, name + ': support', {1: withOverflow(reach(1)), 2: {voicemail: box}, '*': 'back'}, {prompt: prompt('support-choices', 'main-choices'), ...goodbye}),
        menu(id, name, {1: withOverflow(reach(0)), 2: {ivr: sub}, 3: {voicemail: box}, 0: 'repeat'},
          {...dialled, greeting: prompt('welcome'), ...goodbye}),
      ]};
    }
  }
  throw new Error('unknown template ' + tpl);
}

// clean drops the fields left undefined (a prompt the server lacks).
function clean(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
