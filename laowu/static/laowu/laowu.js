/* Progressive enhancement only: every page works without this file (IE9+ compatible). */
(function () {
  document.documentElement.className += ' js';
  function on(el, type, fn) { if (el.addEventListener) { el.addEventListener(type, fn, false); } else { el.attachEvent('on' + type, fn); } }
  function closest(el, cls) { while (el && el.nodeType === 1) { if ((' ' + el.className + ' ').indexOf(' ' + cls + ' ') >= 0) { return el; } el = el.parentNode; } return null; }

  // Confirmation before destructive actions: forms carrying data-confirm.
  var forms = document.getElementsByTagName('form');
  for (var i = 0; i < forms.length; i++) {
    (function (form) {
      var text = form.getAttribute('data-confirm');
      if (text) { on(form, 'submit', function (e) { if (!window.confirm(text)) { if (e.preventDefault) { e.preventDefault(); } e.returnValue = false; } }); }
      // A double click must not submit twice.
      on(form, 'submit', function () {
        var buttons = form.getElementsByTagName('button');
        setTimeout(function () { for (var j = 0; j < buttons.length; j++) { buttons[j].disabled = true; } }, 0);
      });
    })(forms[i]);
  }

  // 选择 → show the chosen file's name next to the button before 上传.
  var inputs = document.getElementsByTagName('input');
  for (var n = 0; n < inputs.length; n++) {
    if (inputs[n].type === 'file') {
      (function (input) {
        on(input, 'change', function () {
          var form = input.form, spans = form.getElementsByTagName('span');
          var name = input.value ? input.value.split(/[\\/]/).pop() : '未选择文件';
          for (var q = 0; q < spans.length; q++) { if (spans[q].className.indexOf('file-chosen') >= 0) { spans[q].innerHTML = ''; spans[q].appendChild(document.createTextNode(name)); spans[q].title = name; } }
        });
      })(inputs[n]);
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
