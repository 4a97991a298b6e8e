/*
 * newsroom.js: the newsroom's editor (newsroom-editor.mustache), loaded by newsroom pages only.
 * The editor works without it (plain forms); with it:
 *   - a toolbar above the body edits its Markdown: bold, italic, link, heading, quote, list
 *     (and Ctrl/Cmd-B, Ctrl/Cmd-I in the body);
 *   - the form is autosaved every few seconds when it changed (POST to the form's
 *     data-autosave address, CSRF token and version included: the server stores it apart from
 *     the article); a new article's first autosave makes its draft, and the page moves to the
 *     draft's address (history.replaceState);
 *   - leaving the page warns while there are changes stored nowhere yet (neither saved nor
 *     autosaved);
 *   - Ctrl/Cmd-S saves (the form's Save button);
 *   - deleting an article asks for confirmation.
 * The site's CSP allows only same-origin scripts: no inline script or handler anywhere.
 */
(function () {
  'use strict';

  var AUTOSAVE_EVERY_MS = 5000;

  /* Deleting asks first (without the script the button deletes at once: it is apart from the
   * form, below it, and red). */
  var del = document.querySelector('form.editor-delete');
  if (del) {
    del.addEventListener('submit', function (e) {
      if (!window.confirm('Delete this article? This cannot be undone.')) e.preventDefault();
    });
  }

  var form = document.getElementById('editor');
  if (!form || !form.getAttribute('data-autosave')) return;
  var body = document.getElementById('body_markdown');
  var status = document.getElementById('autosave-status');
  var fields = form.querySelector('fieldset.editor-fields');
  var readOnly = fields && fields.disabled;

  var unsaved = false;      /* changed since the page was loaded or last saved */
  var pending = false;      /* changed since the last autosave */
  var inFlight = false;
  var pauseUntil = 0;       /* after a 429: Retry-After */

  function say(text) { if (status) status.textContent = text; }

  function changed() {
    unsaved = true;
    pending = true;
  }

  /* ---- the toolbar ---- */

  /* Replaces the body's selection with text, selecting [selStart, selEnd) of it afterwards
   * (offsets in text), so that the browser's undo still works where it can. */
  function replaceSelection(text, selStart, selEnd) {
    var start = body.selectionStart, end = body.selectionEnd;
    body.focus();
    var done = false;
    try { done = document.execCommand('insertText', false, text); } catch (e) { done = false; }
    if (!done || body.value.substr(start, text.length) !== text) {
      body.setRangeText(text, start, end, 'end');
    }
    body.setSelectionRange(start + selStart, start + selEnd);
    changed();
  }

  /* Wraps the selection in marker (or inserts marker + placeholder + marker). */
  function wrap(marker, placeholder) {
    var sel = body.value.slice(body.selectionStart, body.selectionEnd) || placeholder;
    replaceSelection(marker + sel + marker, marker.length, marker.length + sel.length);
  }

  /* Prefixes every line the selection touches with prefix (numbered lists are not made). */
  function prefixLines(prefix) {
    var value = body.value;
    var start = value.lastIndexOf('\n', body.selectionStart - 1) + 1;
    var end = value.indexOf('\n', body.selectionEnd);
    if (end === -1) end = value.length;
    body.setSelectionRange(start, end);
    var lines = value.slice(start, end).split('\n').map(function (line) {
      return line.indexOf(prefix) === 0 ? line : prefix + line;
    });
    var text = lines.join('\n');
    replaceSelection(text, 0, text.length);
  }

  var actions = {
    bold: function () { wrap('**', 'bold text'); },
    italic: function () { wrap('_', 'italic text'); },
    link: function () {
      var sel = body.value.slice(body.selectionStart, body.selectionEnd) || 'link text';
      var text = '[' + sel + '](https://)';
      replaceSelection(text, sel.length + 3, text.length - 1);
    },
    heading: function () { prefixLines('## '); },
    quote: function () { prefixLines('> '); },
    list: function () { prefixLines('- '); }
  };

  var toolbar = form.querySelector('.editor-toolbar');
  if (toolbar && body && !readOnly) {
    toolbar.hidden = false;
    toolbar.addEventListener('click', function (e) {
      var button = e.target.closest('button[data-md]');
      if (!button) return;
      e.preventDefault();
      var act = actions[button.getAttribute('data-md')];
      if (act) act();
    });
    body.addEventListener('keydown', function (e) {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      var key = e.key.toLowerCase();
      if (key === 'b') { e.preventDefault(); actions.bold(); }
      if (key === 'i') { e.preventDefault(); actions.italic(); }
    });
  }

  if (readOnly) return;

  form.addEventListener('input', changed);
  form.addEventListener('change', changed);

  /* ---- autosave ---- */

  function autosave() {
    if (!pending || inFlight || Date.now() < pauseUntil) return;
    inFlight = true;
    pending = false;
    var data = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute('data-autosave'), {
      method: 'POST',
      body: data,
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json' }
    }).then(function (res) {
      if (res.status === 429) {
        var wait = parseInt(res.headers.get('Retry-After') || '5', 10);
        pauseUntil = Date.now() + wait * 1000;
        pending = true;
        say('Autosave paused for ' + wait + ' s.');
        return null;
      }
      if (!res.ok) throw new Error('status ' + res.status);
      return res.json();
    }).then(function (answer) {
      if (!answer) return;
      if (answer.url && location.pathname !== answer.url) {
        /* a new article: its draft exists now; the form saves it from here on */
        history.replaceState(null, '', answer.url);
        form.setAttribute('action', answer.url);
        form.setAttribute('data-autosave', answer.autosave_url);
        var version = form.querySelector('input[name="version"]');
        if (version) version.value = String(answer.version);
      }
      say('Unsaved changes kept (autosaved ' + answer.saved + ').');
    }).catch(function () {
      pending = true;
      say('Autosave failed; your changes are only in this page. Save to keep them.');
    }).then(function () { inFlight = false; });
  }
  setInterval(autosave, AUTOSAVE_EVERY_MS);

  /* ---- leaving, saving ---- */

  form.addEventListener('submit', function () {
    unsaved = false;
    pending = false;
  });

  window.addEventListener('beforeunload', function (e) {
    if (!unsaved || !pending) return undefined; /* autosaved changes come back on reopening */
    e.preventDefault();
    e.returnValue = '';
    return '';
  });

  document.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's') {
      e.preventDefault();
      var save = document.getElementById('save');
      if (!save) return;
      unsaved = false;
      pending = false;
      if (form.requestSubmit) form.requestSubmit(save);
      else save.click();
    }
  });
})();
