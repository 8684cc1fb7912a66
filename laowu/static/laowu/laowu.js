/* Progressive enhancement only: every page works without this file (IE9+ compatible). */
(function () {
  document.documentElement.className += ' js';
  function on(el, type, fn) { if (el.addEventListener) { el.addEventListener(type, fn, false); } else { el.attachEvent('on' + type, fn); } }
  function off(el, type, fn) { if (el.removeEventListener) { el.removeEventListener(type, fn, false); } else { el.detachEvent('on' + type, fn); } }
  function closest(el, cls) { while (el && el.nodeType === 1) { if ((' ' + el.className + ' ').indexOf(' ' + cls + ' ') >= 0) { return el; } el = el.parentNode; } return null; }

  // What a page, or a part of it replaced after loading (upload.js), needs bound to it.
  function enhance(root) {
    // Confirmation before destructive actions: forms carrying data-confirm.
    var forms = root.getElementsByTagName('form');
    for (var i = 0; i < forms.length; i++) {
      (function (form) {
        var text = form.getAttribute('data-confirm');
        if (text) { on(form, 'submit', function (e) { if (!window.confirm(text)) { if (e.preventDefault) { e.preventDefault(); } e.returnValue = false; } }); }
        // A double click must not submit twice. The second submit is cancelled rather than the
        // buttons disabled: disabling the submitter can cancel a submission already under way.
        on(form, 'submit', function (e) {
          if (e.defaultPrevented || e.returnValue === false) { return; }
          if (form.getAttribute('data-submitted')) { if (e.preventDefault) { e.preventDefault(); } e.returnValue = false; return; }
          if ((form.getAttribute('method') || 'get').toLowerCase() === 'post') { form.setAttribute('data-submitted', '1'); }
        });
      })(forms[i]);
    }

    // Confirmation on one button of a form (申报 and 删除 on a filing's owner page, which submit
    // the page's form): cancelling the click cancels the submission it would start.
    var buttons = root.getElementsByTagName('button');
    for (var b = 0; b < buttons.length; b++) {
      (function (button) {
        var text = button.getAttribute('data-confirm');
        if (text) { on(button, 'click', function (e) { if (!window.confirm(text)) { if (e.preventDefault) { e.preventDefault(); } e.returnValue = false; } }); }
      })(buttons[b]);
    }

    // 选择 → show the chosen file's name (or how many were chosen) next to the button before 上传.
    var inputs = root.getElementsByTagName('input');
    for (var n = 0; n < inputs.length; n++) {
      if (inputs[n].type === 'file') {
        (function (input) {
          on(input, 'change', function () {
            var form = closest(input, 'upload-form') || input.form, spans = form.getElementsByTagName('span');
            var count = input.files ? input.files.length : (input.value ? 1 : 0);
            var name = count > 1 ? '已选择' + count + '个文件' : (count ? input.value.split(/[\\/]/).pop() : '未选择文件');
            for (var q = 0; q < spans.length; q++) { if (spans[q].className.indexOf('file-chosen') >= 0) { spans[q].innerHTML = ''; spans[q].appendChild(document.createTextNode(name)); spans[q].title = name; } }
          });
        })(inputs[n]);
      }
    }
  }
  enhance(document);
  window.laowu = { on: on, enhance: enhance };

  // A form marked data-keep-typed (a filing's owner page) holds what the clerk typed until 保存:
  // leaving the page any other way while it differs from what was loaded asks first. Files are
  // left out: upload.js asks about chosen files itself.
  function typed(form) {
    var els = form.elements, parts = [];
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.name || el.type === 'file' || el.type === 'submit' || el.type === 'button' || el.type === 'hidden') { continue; }
      parts.push(el.name + '=' + ((el.type === 'checkbox' || el.type === 'radio') ? el.checked : el.value));
    }
    return parts.join('&');
  }
  var kept = [];
  var keptForms = document.getElementsByTagName('form');
  for (var kf = 0; kf < keptForms.length; kf++) {
    if (keptForms[kf].getAttribute('data-keep-typed') !== null) {
      (function (form) {
        var entry = { form: form, loaded: typed(form), sending: false };
        kept.push(entry);
        // Its own submission (保存, 申报, 上传 without JavaScript) takes the typed values along.
        on(form, 'submit', function (e) { if (!e.defaultPrevented && e.returnValue !== false) { entry.sending = true; } });
      })(keptForms[kf]);
    }
  }
  if (kept.length) {
    on(window, 'beforeunload', function (e) {
      for (var i = 0; i < kept.length; i++) {
        if (!kept[i].sending && typed(kept[i].form) !== kept[i].loaded) {
          var text = '有未保存的修改，离开本页将丢失这些修改。';
          e.returnValue = text;
          return text;
        }
      }
    });
    // Back on this page from the browser's cache: its form was not sent after all.
    on(window, 'pageshow', function () { for (var i = 0; i < kept.length; i++) { kept[i].sending = false; } });
  }
  // 打印 on pages meant to be kept on paper (the recovery codes); hidden without JS, where
  // the browser's own print (Ctrl+P) does the same.
  var printButtons = document.querySelectorAll ? document.querySelectorAll('.js-print') : [];
  for (var p = 0; p < printButtons.length; p++) { on(printButtons[p], 'click', function () { window.print(); }); }

  // Dialogs: a link with data-dialog opens its page's fragment (partial=1) in a modal;
  // searches and page links inside stay in the modal. Without JS the link is a page.
  function withPartial(url) { return url + (url.indexOf('?') >= 0 ? '&' : '?') + 'partial=1'; }
  var dialogCount = 0;
  function focusables(root) {
    var all = root.querySelectorAll('a[href], button, input, select, textarea, [tabindex]'), list = [];
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (!el.disabled && el.type !== 'hidden' && el.getAttribute('tabindex') !== '-1' && (el.offsetWidth || el.offsetHeight)) { list.push(el); }
    }
    return list;
  }
  // The dialog is named by its title, keeps the keyboard inside while open (Tab wraps, Esc
  // closes) and gives focus back to the link that opened it.
  function openDialog(title, url, opener) {
    var titleId = 'dialog-title-' + (++dialogCount);
    var overlay = document.createElement('div');
    overlay.className = 'dialog-overlay';
    overlay.innerHTML = '<div class="dialog" role="dialog" aria-modal="true" aria-labelledby="' + titleId + '" tabindex="-1"><div class="dialog-head"><h2 class="dialog-title" id="' + titleId + '"></h2><button type="button" class="dialog-close" aria-label="关闭">×</button></div><div class="dialog-body">加载中…</div></div>';
    overlay.getElementsByTagName('h2')[0].appendChild(document.createTextNode(title));
    document.body.appendChild(overlay);
    var dialog = overlay.getElementsByTagName('div')[0];
    var body = overlay.getElementsByTagName('div')[2];
    dialog.focus();
    // Focus that leaves by other means (a click outside, the browser's own keys) comes back.
    function keepFocus(e) { if (!dialog.contains(e.target || e.srcElement)) { dialog.focus(); } }
    function close() {
      off(document, 'focusin', keepFocus);
      if (overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
      if (opener && opener.focus) { opener.focus(); }
    }
    on(document, 'focusin', keepFocus);
    on(overlay.getElementsByTagName('button')[0], 'click', close);
    on(overlay, 'click', function (e) { if ((e.target || e.srcElement) === overlay) { close(); } });
    on(overlay, 'keydown', function (e) {
      var key = e.key || e.keyCode;
      if (key === 'Escape' || key === 'Esc' || key === 27) { if (e.preventDefault) { e.preventDefault(); } close(); return; }
      if (key !== 'Tab' && key !== 9) { return; }
      var list = focusables(dialog), active = document.activeElement;
      if (!list.length) { return; }
      var first = list[0], last = list[list.length - 1];
      if (e.shiftKey && (active === first || active === dialog)) { if (e.preventDefault) { e.preventDefault(); } last.focus(); }
      else if (!e.shiftKey && active === last) { if (e.preventDefault) { e.preventDefault(); } first.focus(); }
    });
    function load(u) {
      var xhr = new XMLHttpRequest();
      xhr.open('GET', withPartial(u), true);
      xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
      xhr.onreadystatechange = function () {
        if (xhr.readyState !== 4) { return; }
        if (xhr.status !== 200) { window.location.href = u; return; }
        body.innerHTML = xhr.responseText;
        var searchForms = body.getElementsByTagName('form');
        for (var f = 0; f < searchForms.length; f++) {
          if ((searchForms[f].getAttribute('method') || 'get').toLowerCase() === 'get') {
            (function (form) {
              on(form, 'submit', function (e) {
                if (e.preventDefault) { e.preventDefault(); } e.returnValue = false;
                var parts = [], els = form.elements;
                for (var k = 0; k < els.length; k++) { if (els[k].name) { parts.push(encodeURIComponent(els[k].name) + '=' + encodeURIComponent(els[k].value)); } }
                load(form.getAttribute('action') + '?' + parts.join('&'));
              });
            })(searchForms[f]);
          }
        }
        var links = body.getElementsByTagName('a');
        for (var l = 0; l < links.length; l++) {
          (function (a) {
            var href = a.getAttribute('href') || '';
            if (href.charAt(0) === '?') {
              on(a, 'click', function (e) { if (e.preventDefault) { e.preventDefault(); } e.returnValue = false; load(u.split('?')[0] + href); });
            }
          })(links[l]);
        }
        var q = body.getElementsByTagName('input');
        for (var m2 = 0; m2 < q.length; m2++) { if (q[m2].type === 'text') { q[m2].focus(); break; } }
      };
      xhr.send(null);
    }
    load(url);
  }
  var dialogLinks = document.getElementsByTagName('a');
  for (var d = 0; d < dialogLinks.length; d++) {
    if (dialogLinks[d].getAttribute('data-dialog')) {
      (function (a) {
        on(a, 'click', function (e) { if (e.preventDefault) { e.preventDefault(); } e.returnValue = false; openDialog(a.getAttribute('data-dialog'), a.getAttribute('href'), a); });
      })(dialogLinks[d]);
    }
  }

  // Captcha refresh without reloading the page (the link reloads the page when JS is off).
  function refreshCaptcha(box) {
    var link = box.getElementsByTagName('a')[0];
    var xhr = new XMLHttpRequest();
    xhr.open('GET', link.getAttribute('data-refresh-url'), true);
    xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4 || xhr.status !== 200) { return; }
      var data = JSON.parse(xhr.responseText);
      box.getElementsByTagName('img')[0].src = data.image_url;
      var field = closest(box, 'field-control') || box.parentNode;
      var inputs = field.getElementsByTagName('input');
      for (var k = 0; k < inputs.length; k++) {
        if (inputs[k].type === 'hidden' && /_0$/.test(inputs[k].name)) { inputs[k].value = data.key; }
        if (inputs[k].type === 'text') { inputs[k].value = ''; inputs[k].focus(); }
      }
    };
    xhr.send(null);
  }
  var imgs = document.getElementsByTagName('span');
  for (var m = 0; m < imgs.length; m++) {
    if ((' ' + imgs[m].className + ' ').indexOf(' captcha-box ') >= 0) {
      (function (box) {
        var handler = function (e) { if (e.preventDefault) { e.preventDefault(); } e.returnValue = false; refreshCaptcha(box); };
        on(box.getElementsByTagName('a')[0], 'click', handler);
        on(box.getElementsByTagName('img')[0], 'click', handler);
      })(imgs[m]);
    }
  }
})();
