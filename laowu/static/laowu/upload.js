/* 上传 with JavaScript on, for the attachment panels (laowu/templates/documents/_attachments_table.html).

   选择 takes several files per slot. Each file is checked here before anything is sent (its type,
   and its size against the limit the page states, which is the server's setting) and a refusal
   is shown beside the slot at once. 上传 then sends every acceptable file chosen in any slot of
   the page — one 上传 leaves no chosen file behind — one file per request, with a progress bar.
   Afterwards the page's attachment panels (and what depends on them: data-refresh-on-upload) are
   replaced in place from a fresh copy of the page, so nothing else typed on the page is lost and
   the page stays where it was, and each file's outcome is shown beside its slot. Submitting any
   other form while chosen files are still unsent asks first.

   Without JavaScript, or without XHR2 (FormData and upload progress: IE9), each slot's form posts
   its files as it is and the server answers beside the slot it returns to; the server checks
   every file either way. */
(function () {
  var L = window.laowu;
  if (!L || !window.FormData || !window.DOMParser || !document.querySelectorAll || !document.addEventListener) { return; }
  if (!('upload' in new XMLHttpRequest())) { return; }

  var MSG_NO_FILE = '请先点击“选择”选择要上传的文件。';
  var PDF = { ext: { pdf: 1 }, type: { 'application/pdf': 1 } };
  var PHOTO = { ext: { jpg: 1, jpeg: 1, png: 1 }, type: { 'image/jpeg': 1, 'image/png': 1 } };
  var busy = false;

  // Announces the outcome to screen readers: the panel that shows it is replaced, not changed.
  var live = document.createElement('div');
  live.className = 'sr-only';
  live.setAttribute('aria-live', 'polite');
  document.body.appendChild(live);

  function hasClass(el, cls) { return (' ' + el.className + ' ').indexOf(' ' + cls + ' ') >= 0; }
  function setText(el, text) { el.innerHTML = ''; el.appendChild(document.createTextNode(text)); }
  function quoted(name) { return '“' + name + '”'; }

  // As laowu/documents/validation.py format_size words it: "5MB", "5.1MB", "800KB".
  function formatSize(bytes, roundUp) {
    var round = roundUp ? Math.ceil : Math.round, mib = 1024 * 1024;
    if (bytes >= mib) { return String(round(bytes * 10 / mib) / 10) + 'MB'; }
    if (bytes >= 1024) { return round(bytes / 1024) + 'KB'; }
    return bytes + 'B';
  }

  function uploadForms() { return document.querySelectorAll('form.upload-form'); }

  // On a filing's owner page the inputs and 上传 are joined to the page's form (form=…) so that
  // without this script they send the typed values along; here each file goes on its own, so
  // they go back to their slot's form and the typed values stay on the screen.
  function adopt(root) {
    var joined = root.querySelectorAll('form.upload-form [form]');
    for (var i = 0; i < joined.length; i++) { joined[i].removeAttribute('form'); }
  }
  adopt(document);
  function fileInput(form) { return form.querySelector('input[type=file]'); }
  function chosen(form) { var input = fileInput(form); return input && input.files ? input.files : []; }
  function stateBox(form) { return form.parentNode.querySelector('.upload-state'); }
  function slotLabel(form) {
    var row = document.getElementById(form.getAttribute('data-slot'));
    var cell = row && row.querySelector('.col-kind');
    return cell ? (cell.textContent || '').replace(/^\*/, '') : '';
  }

  // Why `file` cannot go into this form's slot, or '' if it may be sent. The server decides by
  // content; this only spares sending what it would refuse anyway.
  function problem(form, file) {
    var photos = form.getAttribute('data-images') === '1';
    var limit = parseInt(form.getAttribute('data-max-bytes'), 10) || 0;
    var dot = file.name.lastIndexOf('.');
    var ext = dot >= 0 ? file.name.slice(dot + 1).toLowerCase() : '';
    var type = (file.type || '').toLowerCase();
    var allowed = PDF.ext[ext] || PDF.type[type] || (photos && (PHOTO.ext[ext] || PHOTO.type[type]));
    if (!allowed) {
      return quoted(file.name) + '不能上传：' + (photos ? '只能上传PDF文件或JPEG、PNG格式的照片。' : '只能上传PDF格式的文件。');
    }
    if (!file.size) { return quoted(file.name) + '不能上传：文件为空，请重新选择。'; }
    if (limit && file.size > limit) {
      return quoted(file.name) + '不能上传：文件大小超过' + formatSize(limit) + '（该文件约' + formatSize(file.size, true) + '），请压缩或减少页数后重新选择。';
    }
    return '';
  }

  function line(cls, text) { var el = document.createElement('div'); el.className = cls; setText(el, text); return el; }

  // 选择: list what was chosen under the slot's buttons, each refusal in red.
  function showChosen(form) {
    var box = stateBox(form), files = chosen(form);
    box.innerHTML = '';
    for (var i = 0; i < files.length; i++) {
      var why = problem(form, files[i]);
      box.appendChild(why ? line('msg msg-error', why) : line('upload-ready', files[i].name + '（' + formatSize(files[i].size, true) + '）待上传'));
    }
  }

  // The acceptable files chosen but not sent, as "营业执照：a.pdf" for the warning.
  function unsent() {
    var forms = uploadForms(), names = [];
    for (var i = 0; i < forms.length; i++) {
      var files = chosen(forms[i]);
      for (var k = 0; k < files.length; k++) {
        if (!problem(forms[i], files[k])) { names.push(slotLabel(forms[i]) + '：' + files[k].name); }
      }
    }
    return names;
  }

  function setBusy(on) {
    busy = on;
    var forms = uploadForms();
    for (var i = 0; i < forms.length; i++) {
      var controls = forms[i].querySelectorAll('button, input[type=file]');
      for (var k = 0; k < controls.length; k++) { controls[k].disabled = on; }
    }
  }

  function showProgress(form, file, n, total) {
    var box = stateBox(form);
    box.innerHTML = '';
    var wrap = document.createElement('div');
    wrap.className = 'upload-progress';
    var bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    var label = document.createElement('span');
    bar.setAttribute('aria-label', '上传进度');
    wrap.appendChild(bar);
    wrap.appendChild(label);
    box.appendChild(wrap);
    function update(percent) {
      bar.value = percent;
      setText(label, '正在上传' + quoted(file.name) + (total > 1 ? '（第' + n + '个，共' + total + '个）' : '') + ' ' + percent + '%');
    }
    update(0);
    return update;
  }

  function failure(status) {
    if (status === 413) { return '文件过大，请压缩后重新上传。'; }
    // laowu/documents/responses.py: the disk filled while the upload was being received.
    if (status === 507) { return '存储空间不足，文件未保存。'; }
    if (status === 403) { return '页面已过期，请刷新页面后重新上传。'; }
    if (status === 404) { return '该记录现在不能上传附件，请刷新页面查看。'; }
    if (status === 200) { return '登录已失效或页面已过期，请刷新页面后重新上传。'; }
    return '服务器暂时无法处理，请稍后重新上传。';
  }

  // One file to its slot; `report(slot, ok, text)` gets each outcome.
  function send(form, file, n, total, report, then) {
    var data = new FormData(), els = form.elements, slot = form.getAttribute('data-slot');
    for (var i = 0; i < els.length; i++) {
      if (els[i].name && els[i].type !== 'file' && els[i].type !== 'submit') { data.append(els[i].name, els[i].value); }
    }
    data.append('file', file, file.name);
    var progress = showProgress(form, file, n, total);
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.getAttribute('action'), true);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) { progress(Math.min(99, Math.round(e.loaded * 100 / e.total))); } };
    xhr.onload = function () {
      var answer = null;
      if (xhr.status === 200 && /json/.test(xhr.getResponseHeader('Content-Type') || '')) {
        try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = null; }
      }
      if (answer) {
        progress(100);
        if (answer.error) { report(slot, false, answer.error); }
        for (var k = 0; k < answer.results.length; k++) { report(slot, answer.results[k].stored, answer.results[k].message); }
      } else {
        report(slot, false, quoted(file.name) + '上传失败：' + failure(xhr.status));
      }
      then();
    };
    xhr.onerror = xhr.onabort = function () {
      report(slot, false, quoted(file.name) + '上传失败：网络连接中断，请检查网络后重新上传。');
      then();
    };
    xhr.send(data);
  }

  // Replace the parts of the page that show attachments with those of a fresh copy of it.
  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, 'text/html');
    var parts = document.querySelectorAll('[data-refresh-on-upload]'), swapped = 0;
    for (var i = 0; i < parts.length; i++) {
      var part = fresh.getElementById(parts[i].id);
      if (!part) { continue; }
      part = document.importNode(part, true);
      adopt(part);
      parts[i].parentNode.replaceChild(part, parts[i]);
      L.enhance(part);
      swapped++;
    }
    return swapped > 0;
  }

  function refresh(url, then) {
    var xhr = new XMLHttpRequest();
    xhr.open('GET', url, true);
    xhr.onload = function () { then(xhr.status === 200 && swap(xhr.responseText)); };
    xhr.onerror = function () { then(false); };
    xhr.send(null);
  }

  function showOutcomes(outcomes) {
    for (var i = 0; i < outcomes.length; i++) {
      var row = document.getElementById(outcomes[i].slot);
      var box = row && row.querySelector('.upload-results');
      if (box) { box.appendChild(line('msg ' + (outcomes[i].ok ? 'msg-success' : 'msg-error'), outcomes[i].text)); }
    }
  }

  function clearOutcomes() {
    var boxes = document.querySelectorAll('.upload-results');
    for (var i = 0; i < boxes.length; i++) { boxes[i].innerHTML = ''; }
  }

  // 上传 pressed in `pressed`: send what every slot has chosen, then refresh and report.
  function start(pressed) {
    var forms = uploadForms(), queue = [], outcomes = [];
    function report(slot, ok, text) { outcomes.push({ slot: slot, ok: ok, text: text }); }
    clearOutcomes();
    for (var i = 0; i < forms.length; i++) {
      var files = chosen(forms[i]);
      for (var k = 0; k < files.length; k++) {
        var why = problem(forms[i], files[k]);
        if (why) { report(forms[i].getAttribute('data-slot'), false, why); } else { queue.push({ form: forms[i], file: files[k] }); }
      }
    }
    if (!queue.length) {
      // Nothing to send: any refusals are already listed under the buttons.
      if (chosen(pressed).length) {
        setText(live, '没有可上传的文件：' + outcomes[0].text);
      } else {
        showOutcomes([{ slot: pressed.getAttribute('data-slot'), ok: false, text: MSG_NO_FILE }]);
        setText(live, MSG_NO_FILE);
      }
      return;
    }
    var slotId = pressed.getAttribute('data-slot'), url = pressed.querySelector('input[name=next]').value;
    var total = queue.length, n = 0;
    setBusy(true);
    (function next() {
      if (n < total) { var item = queue[n]; n++; send(item.form, item.file, n, total, report, next); return; }
      var row = document.getElementById(slotId), top = row ? row.getBoundingClientRect().top : 0;
      refresh(url, function (refreshed) {
        setBusy(false);
        if (refreshed) {
          // Keep the slot where it was on the screen, whatever changed above it.
          row = document.getElementById(slotId);
          if (row) { window.scrollBy(0, row.getBoundingClientRect().top - top); }
        } else {
          for (var f = 0; f < forms.length; f++) { fileInput(forms[f]).value = ''; stateBox(forms[f]).innerHTML = ''; }
          report(slotId, false, '附件列表未能自动更新，请刷新页面查看。');
        }
        showOutcomes(outcomes);
        var stored = 0;
        for (var o = 0; o < outcomes.length; o++) { if (outcomes[o].ok) { stored++; } }
        setText(live, '上传完成：' + stored + '个文件上传成功' + (outcomes.length > stored ? '，' + (outcomes.length - stored) + '个未能上传，原因见各附件类型旁的说明。' : '。'));
      });
    })();
  }

  document.addEventListener('change', function (e) {
    var input = e.target;
    if (input && input.type === 'file' && input.form && hasClass(input.form, 'upload-form')) { showChosen(input.form); }
  }, false);

  // Capturing, so this runs before the forms' own handlers (laowu.js's double-submit guard).
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form || form.nodeName !== 'FORM') { return; }
    if (hasClass(form, 'upload-form')) {
      e.preventDefault();
      e.stopPropagation();
      if (!busy) { start(form); }
      return;
    }
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'post') { return; }
    var question = busy ? '正在上传文件，离开本页将中断上传。确定继续吗？' : '';
    var names = busy ? [] : unsent();
    if (names.length) { question = '有未上传的文件：' + names.join('、') + '。继续将不会上传这些文件，确定继续吗？'; }
    if (question && !window.confirm(question)) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);
})();
