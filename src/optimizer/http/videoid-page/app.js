/*
 * One-Shot hosted identification page (docs/videoid.md). Plain browser JavaScript, no build step.
 * Steps: terms → identity details → ID front → ID back (not for passports) → selfie → short video.
 * Photos are stills of the camera preview (getUserMedia + canvas, JPEG); the video is recorded with
 * MediaRecorder (WebM where supported, else MP4); uploads use XHR for progress events.
 * The server decides what is still missing (GET …/session), so a reload resumes where it stopped.
 */
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var app = $('app');
  var token = location.pathname.split('/').filter(Boolean)[1] || '';
  var base = '/videoid/' + encodeURIComponent(token) + '/';

  var MIN_VIDEO_S = 3;
  var MAX_VIDEO_S = 10;
  var ORDER = ['acceptance', 'identity', 'document_front', 'document_rear', 'document_owner', 'video'];
  var CAPTURES = {
    document_front: { title: 'Front of your ID document', hint: 'Hold the front of the document inside the frame, in good light, and take a photo.', facing: 'environment', video: false },
    document_rear: { title: 'Back of your ID document', hint: 'Now turn the document over and take a photo of the back.', facing: 'environment', video: false },
    document_owner: { title: 'A photo of your face', hint: 'Look straight at the camera, with your face uncovered and well lit.', facing: 'user', video: false },
    video: { title: 'A short video', hint: 'Record ' + MIN_VIDEO_S + '–' + MAX_VIDEO_S + ' seconds looking at the camera and say your full name out loud.', facing: 'user', video: true }
  };

  var session = null;
  var stream = null;
  var recorder = null;
  var captured = null;
  var current = null;
  var tick = null;

  function setState(s) { app.setAttribute('data-state', s); }

  function showError(msg) {
    var e = $('error');
    e.textContent = msg;
    e.hidden = false;
  }
  function clearError() { $('error').hidden = true; }

  function detailsText(json, status) {
    if (json && typeof json.details === 'string') return json.details;
    return 'The server answered ' + status + '. Please try again.';
  }

  function api(method, path, body) {
    var init = { method: method, headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(base + path, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (json) {
        if (!res.ok) throw new Error(detailsText(json, res.status));
        return json.details;
      });
    }, function () { throw new Error('No connection to the server. Check your network and try again.'); });
  }

  function upload(item, blob, filename) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      var fd = new FormData();
      fd.append('file', blob, filename);
      $('upload').hidden = false;
      var show = function (pct) {
        $('progress').value = pct;
        $('progress-text').textContent = pct + '%';
      };
      show(0);
      var events = 0;
      xhr.upload.onprogress = function (ev) {
        // The count is exposed for the browser test (progress comes from XHR upload events).
        $('upload').setAttribute('data-progress-events', String(++events));
        if (ev.lengthComputable) show(Math.floor((ev.loaded / ev.total) * 100));
      };
      xhr.onload = function () {
        var json = null;
        try { json = JSON.parse(xhr.responseText); } catch (e) { json = null; }
        if (xhr.status >= 200 && xhr.status < 300) {
          show(100);
          resolve(json && json.details);
        } else {
          reject(new Error(detailsText(json, xhr.status)));
        }
      };
      xhr.onerror = function () { reject(new Error('The upload failed. Check your network and try again.')); };
      xhr.open('POST', base + 'capture/' + item);
      xhr.send(fd);
    });
  }

  function stopCamera() {
    if (tick) { clearInterval(tick); tick = null; }
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    var v = $('preview');
    v.srcObject = null;
    v.removeAttribute('src');
    v.controls = false;
  }

  function hideAll() {
    ['loading', 'step-terms', 'step-identity', 'step-capture', 'step-done'].forEach(function (id) { $(id).hidden = true; });
  }

  function nextStep() {
    if (!session) return null;
    for (var i = 0; i < ORDER.length; i++) if (session.missing.indexOf(ORDER[i]) >= 0) return ORDER[i];
    return null;
  }

  function renderProgress(step) {
    var items = document.querySelectorAll('#steps li');
    var stepName = function (li) { var s = li.getAttribute('data-step'); return s === 'terms' ? 'acceptance' : s; };
    for (var i = 0; i < items.length; i++) {
      var name = stepName(items[i]);
      items[i].className = session.done[name] ? 'done' : name === step ? 'current' : '';
      if (name === 'document_rear' && !session.done[name] && session.missing.indexOf(name) < 0) items[i].className = 'skipped';
    }
  }

  function render() {
    stopCamera();
    hideAll();
    captured = null;
    var step = nextStep();
    renderProgress(step);
    if (!step) {
      setState('done');
      $('step-done').hidden = false;
      return;
    }
    current = step;
    setState(step);
    if (step === 'acceptance') return renderTerms();
    if (step === 'identity') { $('step-identity').hidden = false; return; }
    renderCapture(step);
  }

  /** After a step: when nothing is missing the link is used up (410), so finish without asking again. */
  function after(d) {
    if (d && d.missing && d.missing.length === 0) {
      session.missing = [];
      ORDER.forEach(function (k) { session.done[k] = session.done[k] || k !== 'document_rear'; });
      return render();
    }
    return refresh();
  }

  function refresh() {
    return api('GET', 'session').then(function (s) {
      session = s;
      clearError();
      if (s.failure) showError('The last attempt could not be used (' + s.failure + '). Please repeat the step.');
      render();
    });
  }

  // ---------------------------------------------------------------- terms
  function renderTerms() {
    $('step-terms').hidden = false;
    $('terms-text').textContent = session.terms.text;
    [['terms-link', session.terms.terms_url], ['privacy-link', session.terms.privacy_url]].forEach(function (p) {
      var a = $(p[0]);
      if (p[1]) { a.href = p[1]; a.hidden = false; }
    });
  }
  $('accept-checkbox').addEventListener('change', function () { $('accept-btn').disabled = !this.checked; });
  $('accept-btn').addEventListener('click', function () {
    clearError();
    this.disabled = true;
    var btn = this;
    api('POST', 'accept', { accepted: true, terms_version: session.terms.version }).then(after).catch(function (e) {
      btn.disabled = false;
      showError(e.message);
    });
  });

  // ---------------------------------------------------------------- identity
  $('identity-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    clearError();
    var body = {};
    ['given_name', 'surname_1', 'surname_2', 'id_document_type', 'id_document_country', 'serial_number'].forEach(function (f) {
      var v = $(f).value.trim();
      if (v) body[f] = v;
    });
    if (!body.given_name || !body.surname_1 || !body.serial_number) return showError('Please fill in your given name, first surname and document number.');
    $('identity-btn').disabled = true;
    api('POST', 'identity', body).then(after).catch(function (e) { showError(e.message); }).then(function () { $('identity-btn').disabled = false; });
  });

  // ---------------------------------------------------------------- captures
  function cameraError(e) {
    var name = e && e.name;
    if (name === 'NotAllowedError' || name === 'SecurityError') return 'Camera access was refused. Allow the camera (and microphone) for this page in your browser settings, then reload.';
    if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No suitable camera was found on this device.';
    if (name === 'NotReadableError') return 'The camera is in use by another application. Close it and try again.';
    return 'The camera could not be started' + (e && e.message ? ': ' + e.message : '') + '.';
  }

  function setButtons(shown) {
    ['capture-btn', 'record-btn', 'stop-btn', 'retake-btn', 'use-btn'].forEach(function (id) { $(id).hidden = shown.indexOf(id) < 0; });
  }

  function renderCapture(step) {
    var cfg = CAPTURES[step];
    $('step-capture').hidden = false;
    $('capture-title').textContent = cfg.title;
    $('capture-hint').textContent = cfg.hint;
    $('still').hidden = true;
    $('preview').hidden = false;
    $('rec-badge').hidden = true;
    $('upload').hidden = true;
    setButtons([]);
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return showError('This browser cannot use the camera. Open the link in an up-to-date browser (on a phone: Chrome, Safari or Firefox).');
    }
    navigator.mediaDevices.getUserMedia({
      video: { facingMode: cfg.facing, width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: cfg.video
    }).then(function (s) {
      if (current !== step) { s.getTracks().forEach(function (t) { t.stop(); }); return; }
      stream = s;
      var v = $('preview');
      v.muted = true;
      v.srcObject = s;
      return v.play().catch(function () {}).then(function () {
        setButtons(cfg.video ? ['record-btn'] : ['capture-btn']);
        setState(step + ':ready');
      });
    }).catch(function (e) { showError(cameraError(e)); });
  }

  $('capture-btn').addEventListener('click', function () {
    var v = $('preview');
    if (!v.videoWidth) return showError('The camera is not ready yet. Wait a moment and try again.');
    var c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext('2d').drawImage(v, 0, 0, c.width, c.height);
    c.toBlob(function (b) {
      if (!b) return showError('The photo could not be taken. Please try again.');
      captured = { blob: b, filename: current + '.jpg' };
      var img = $('still');
      img.src = URL.createObjectURL(b);
      img.hidden = false;
      v.hidden = true;
      setButtons(['retake-btn', 'use-btn']);
      setState(current + ':review');
    }, 'image/jpeg', 0.92);
  });

  function recorderType() {
    var types = ['video/webm;codecs=vp8,opus', 'video/webm', 'video/mp4'];
    for (var i = 0; i < types.length; i++) if (window.MediaRecorder && MediaRecorder.isTypeSupported(types[i])) return types[i];
    return '';
  }

  $('record-btn').addEventListener('click', function () {
    clearError();
    if (!window.MediaRecorder) return showError('This browser cannot record video. Open the link in an up-to-date browser.');
    var type = recorderType();
    var chunks = [];
    var started = Date.now();
    recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
    recorder.ondataavailable = function (ev) { if (ev.data && ev.data.size) chunks.push(ev.data); };
    recorder.onstop = function () {
      clearInterval(tick);
      tick = null;
      $('rec-badge').hidden = true;
      var seconds = (Date.now() - started) / 1000;
      if (seconds < MIN_VIDEO_S) {
        setButtons(['record-btn']);
        setState('video:ready');
        return showError('The video is too short: record at least ' + MIN_VIDEO_S + ' seconds.');
      }
      var mime = (recorder.mimeType || type || 'video/webm').split(';')[0];
      var blob = new Blob(chunks, { type: mime });
      captured = { blob: blob, filename: 'video.' + (mime === 'video/mp4' ? 'mp4' : 'webm') };
      stopCamera();
      var v = $('preview');
      v.src = URL.createObjectURL(blob);
      v.controls = true;
      setButtons(['retake-btn', 'use-btn']);
      setState('video:review');
    };
    recorder.start(250);
    $('rec-badge').hidden = false;
    $('rec-time').textContent = '0';
    setButtons(['stop-btn']);
    setState('video:recording');
    tick = setInterval(function () {
      var s = Math.floor((Date.now() - started) / 1000);
      $('rec-time').textContent = String(s);
      if (s >= MAX_VIDEO_S && recorder.state === 'recording') recorder.stop();
    }, 250);
  });

  $('stop-btn').addEventListener('click', function () {
    if (recorder && recorder.state === 'recording') recorder.stop();
  });

  $('retake-btn').addEventListener('click', function () {
    clearError();
    render();
  });

  $('use-btn').addEventListener('click', function () {
    if (!captured) return;
    clearError();
    setButtons([]);
    setState(current + ':uploading');
    upload(current, captured.blob, captured.filename).then(after).catch(function (e) {
      showError(e.message);
      setButtons(['retake-btn', 'use-btn']);
      setState(current + ':review');
    });
  });

  // ---------------------------------------------------------------- start
  if (app.getAttribute('data-state') === 'error') {
    $('loading').hidden = true;
    showError(app.getAttribute('data-error') || 'This identification link cannot be used.');
    return;
  }
  refresh().catch(function (e) {
    $('loading').hidden = true;
    setState('error');
    showError(e.message);
  });
})();
