// pocketrag's chat page: search, ask (streamed), cited sources. Plain JS, no build step, and
// nothing but this server is contacted. Text from notes and answers is only ever set with
// textContent, never parsed as HTML.
'use strict';

const $ = (selector) => document.querySelector(selector);

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function excerpt(text, max) {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : t.slice(0, max - 1) + '…';
}

async function errorMessage(res) {
  try {
    const body = await res.json();
    if (body && body.error && body.error.message) return body.error.message;
  } catch (ignored) {
    // not JSON
  }
  return res.status + ' ' + res.statusText;
}

async function api(path, options) {
  const init = Object.assign({ headers: { 'Content-Type': 'application/json' } }, options || {});
  // from the origin, not the page's URL: that may carry user:key@, which fetch refuses
  const res = await fetch(new URL(path, window.location.origin), init);
  if (!res.ok) throw new Error(await errorMessage(res));
  return res;
}

// Server-sent events from a fetch response: yields {event, data} per event.
async function* sseEvents(res) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? '' : line.slice(colon + 1);
        if (v.startsWith(' ')) v = v.slice(1);
        if (field === 'event') event = v;
        else if (field === 'data') data.push(v);
      }
      if (data.length) yield { event, data: data.join('\n') };
    }
  }
}

// ---- status

async function loadStatus() {
  const status = $('#status');
  try {
    const res = await api('/v1/models');
    const body = await res.json();
    const chat = body.data.find((m) => m.context_length !== undefined);
    status.textContent = chat
      ? 'model: ' + chat.id + ' · ' + chat.context_length + ' tokens'
      : 'no chat model: answers are the best sentences of your notes';
  } catch (err) {
    status.textContent = 'server unreachable: ' + err.message;
    status.classList.add('error');
  }
}

// ---- search

$('#search-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const q = $('#search-input').value.trim();
  if (!q) return;
  const list = $('#search-results');
  const info = $('#search-info');
  list.replaceChildren();
  info.textContent = 'Searching…';
  try {
    const res = await api('/v1/search?q=' + encodeURIComponent(q) + '&k=8');
    const body = await res.json();
    info.textContent = body.data.length === 0 ? 'No notes match.'
      : body.data.length + (body.data.length === 1 ? ' note' : ' notes');
    for (const hit of body.data) {
      const li = el('li', 'hit');
      li.dataset.noteId = hit.note_id;
      const title = el('button', 'hit-title link', hit.title || '(untitled)');
      title.type = 'button';
      title.addEventListener('click', () => showSource({
        title: hit.title, note_id: hit.note_id, source: hit.source, passage: hit.passage,
        page: hit.page, section: hit.section,
      }));
      li.append(title);
      if (where(hit)) li.append(el('span', 'muted', ' · ' + where(hit)));
      if (hit.tags.length) li.append(el('span', 'tags', hit.tags.map((t) => '#' + t).join(' ')));
      li.append(el('p', 'excerpt', excerpt(hit.passage, 240)));
      list.append(li);
    }
  } catch (err) {
    info.textContent = 'Search failed: ' + err.message;
  }
});

// ---- add a note

$('#note-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const info = $('#note-info');
  const body = { text: $('#note-text').value };
  const title = $('#note-title').value.trim();
  if (title) body.title = title;
  body.tags = $('#note-tags').value.split(',').map((t) => t.trim()).filter((t) => t);
  try {
    const res = await api('/v1/notes', { method: 'POST', body: JSON.stringify(body) });
    const note = await res.json();
    info.textContent = 'Saved: ' + (note.title || note.id);
    $('#note-form').reset();
  } catch (err) {
    info.textContent = 'Not saved: ' + err.message;
  }
});

// ---- ask

let asking = false;

// The conversation thread of this tab: a generated name kept in sessionStorage, so that a
// follow-up ("who owns it?") is searched with the questions before it, even after a reload.
const THREAD_KEY = 'pocketrag.thread';

function newThreadName() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return 'web-' + day + '-' + hex; // letters, digits and '-': a valid thread name
}

function currentThread() {
  let name = sessionStorage.getItem(THREAD_KEY);
  if (!name) {
    name = newThreadName();
    sessionStorage.setItem(THREAD_KEY, name);
  }
  $('#thread-info').textContent = 'thread ' + name;
  return name;
}

function clearMessages() {
  $('#messages').replaceChildren(el('p', 'muted hint',
    'Answers come from your notes only, with numbered citations. Click one to see the passage.'));
}

$('#new-thread').addEventListener('click', () => {
  if (asking) return;
  sessionStorage.setItem(THREAD_KEY, newThreadName());
  currentThread();
  clearMessages();
  $('#ask-input').focus();
});

// what the notes were searched for, under a follow-up's answer whose query differs from the question
function addSearchedFor(msg, question, searchedFor) {
  if (searchedFor && searchedFor !== question) {
    msg.append(el('p', 'muted small searched-for', 'searched for: ' + searchedFor));
  }
}

// the turns of this tab's thread so far (after a reload)
async function loadThread() {
  const name = currentThread();
  try {
    const res = await fetch(new URL('/v1/threads/' + encodeURIComponent(name), window.location.origin));
    if (!res.ok) return; // not started yet
    const thread = await res.json();
    for (const t of thread.turns) {
      addMessage('user', t.question);
      const msg = addMessage('assistant', t.answer);
      addSearchedFor(msg, t.question, t.searched_for);
      msg.classList.add('done');
    }
  } catch (ignored) {
    // the server is unreachable: loadStatus says so
  }
}

function addMessage(role, text) {
  const hint = $('#messages .hint');
  if (hint) hint.remove();
  const msg = el('div', 'message ' + role);
  msg.append(el('div', 'who', role === 'user' ? 'You' : 'pocketrag'));
  msg.append(el('div', 'text', text));
  $('#messages').append(msg);
  msg.scrollIntoView({ block: 'end' });
  return msg;
}

function renderAnswer(msg, answer) {
  const textEl = msg.querySelector('.text');
  const byNumber = new Map(answer.citations.map((c) => [c.n, c]));
  textEl.replaceChildren();
  const parts = answer.answer.split(/\[(\d+)\]/);
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) {
      if (parts[i]) textEl.append(document.createTextNode(parts[i]));
      continue;
    }
    const n = Number(parts[i]);
    const c = byNumber.get(n);
    if (!c) {
      textEl.append(document.createTextNode('[' + parts[i] + ']'));
      continue;
    }
    const a = el('a', 'cite', '[' + n + ']');
    a.href = '#source-' + n;
    a.title = c.title || c.note_id;
    a.dataset.n = String(n);
    a.addEventListener('click', (event) => {
      event.preventDefault();
      showSource(c);
    });
    textEl.append(a);
  }
  if (answer.citations.length) {
    const sources = el('ol', 'sources');
    for (const c of answer.citations) {
      const li = el('li');
      li.value = c.n;
      const b = el('button', 'link source-link', c.title || c.note_id);
      b.type = 'button';
      b.addEventListener('click', () => showSource(c));
      li.append(b, el('span', 'muted', (where(c) ? ' · ' + where(c) : '') + (c.date ? ' · ' + c.date : '')
        + ' — ' + excerpt(c.passage, 120)));
      sources.append(li);
    }
    msg.append(sources);
  }
  if (answer.left_out.length) {
    msg.append(el('p', 'muted small', answer.left_out.length
      + ' more passage(s) did not fit in the model\'s context window.'));
  }
  if (answer.note) msg.append(el('p', 'muted small', answer.note));
}

async function ask(question) {
  asking = true;
  $('#ask-button').disabled = true;
  addMessage('user', question);
  const msg = addMessage('assistant', '');
  msg.classList.add('streaming');
  const textEl = msg.querySelector('.text');
  let text = '';
  try {
    const thread = currentThread();
    const res = await api('/v1/ask', { method: 'POST', body: JSON.stringify({ question, thread, stream: true }) });
    for await (const ev of sseEvents(res)) {
      if (ev.data === '[DONE]') break;
      const obj = JSON.parse(ev.data);
      if (ev.event === 'delta') {
        text += obj.delta;
        textEl.textContent = text;
        msg.scrollIntoView({ block: 'end' });
      } else if (ev.event === 'answer') {
        renderAnswer(msg, obj);
        addSearchedFor(msg, question, obj.searched_for);
        if (obj.thread && obj.thread.warning) msg.append(el('p', 'muted small', obj.thread.warning));
        msg.classList.add('done');
      } else if (ev.event === 'error') {
        throw new Error(obj.error.message);
      }
    }
  } catch (err) {
    msg.append(el('p', 'error', 'Error: ' + err.message));
  } finally {
    msg.classList.remove('streaming');
    asking = false;
    $('#ask-button').disabled = false;
  }
}

$('#ask-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('#ask-input');
  const q = input.value.trim();
  if (!q || asking) return;
  input.value = '';
  ask(q);
});

$('#ask-input').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    $('#ask-form').requestSubmit();
  }
});

// ---- the source panel

let shownNoteId = null;
let shownPage = 0;

/** Where a passage is in its note: "p. 7" (a PDF's page), the heading path, or both; '' if unknown. */
function where(c) {
  const parts = [];
  if (c.page) parts.push('p. ' + c.page);
  if (c.section) parts.push(c.section);
  return parts.join(', ');
}

function showSource(c) {
  shownNoteId = c.note_id;
  shownPage = c.page || 0;
  $('#source-title').textContent = c.title || '(untitled)';
  $('#source-meta').textContent = (c.source ? c.source : 'note ' + c.note_id) + (where(c) ? ' · ' + where(c) : '');
  $('#source-passage').textContent = c.passage;
  $('#source-note').hidden = true;
  $('#source-note').textContent = '';
  $('#source-open').hidden = false;
  $('#source-panel').hidden = false;
}

$('#source-open').addEventListener('click', async () => {
  if (!shownNoteId) return;
  try {
    const res = await api('/v1/notes/' + encodeURIComponent(shownNoteId));
    const note = await res.json();
    const box = $('#source-note');
    box.textContent = '';
    // a document's pages are separated by form feeds: one block per page, the cited one in view
    const pages = note.text.split('\f');
    let target = null;
    pages.forEach((text, i) => {
      if (pages.length > 1 && i === pages.length - 1 && !text.trim()) return;
      const mark = pages.length > 1 ? el('span', 'page-mark muted', (i ? '\n' : '') + '— page ' + (i + 1) + ' —\n') : null;
      if (mark) box.append(mark);
      const block = el('span', 'page-text', text);
      if (i + 1 === shownPage) target = mark || block;
      box.append(block);
    });
    box.hidden = false;
    $('#source-open').hidden = true;
    if (target) target.scrollIntoView({ block: 'start' });
  } catch (err) {
    $('#source-note').textContent = 'Could not load the note: ' + err.message;
    $('#source-note').hidden = false;
  }
});

$('#source-close').addEventListener('click', () => {
  $('#source-panel').hidden = true;
});

loadStatus();
loadThread();
