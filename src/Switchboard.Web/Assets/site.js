// Switchboard's pages: the one script, served by the app itself. Pages work without it; it adds the live parts
// (server-sent events carrying HTML the server rendered and encoded) and the copy buttons.
'use strict';

(function () {
  // A live region: <section data-live="/live/..."> gets each "update" event's HTML in place of its own.
  function connect(region) {
    var source = new EventSource(region.getAttribute('data-live'));
    // Refused (the server's limit on open streams: 503) or gone for good: the page works on as it is; try again later.
    source.addEventListener('error', function () {
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(function () { connect(region); }, 30000);
      }
    });
    source.addEventListener('update', function (event) {
      var focused = document.activeElement;
      var focusKey = focused && region.contains(focused) ? focusKeyOf(focused) : null;
      var open = Array.prototype.map.call(region.querySelectorAll('details[open]'), keyOf);
      region.innerHTML = event.data;
      // Keep what the reader had open and where the keyboard was.
      Array.prototype.forEach.call(region.querySelectorAll('details'), function (details) {
        if (open.indexOf(keyOf(details)) >= 0) {
          details.open = true;
        }
      });
      if (focusKey) {
        var again = region.querySelector(focusKey);
        if (again) {
          again.focus();
        }
      }
      region.setAttribute('data-updated', String(Date.now()));
    });
  }

  // Where an element sits among its region's elements of the same kind: stable across updates of the same list.
  function keyOf(element) {
    var all = element.ownerDocument.querySelectorAll(element.tagName);
    return element.tagName + ':' + Array.prototype.indexOf.call(all, element);
  }

  function focusKeyOf(element) {
    var href = element.getAttribute('href');
    if (href) {
      return element.tagName.toLowerCase() + '[href="' + CSS.escape(href) + '"]';
    }
    return element.id ? '#' + CSS.escape(element.id) : null;
  }

  // <button data-copy="element-id"> copies that element's text.
  function copy(button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    if (!target) {
      return;
    }
    var text = target.value !== undefined ? target.value : target.textContent;
    var done = function (label) {
      var before = button.getAttribute('data-label') || button.textContent;
      button.setAttribute('data-label', before);
      button.textContent = label;
      setTimeout(function () { button.textContent = before; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done('Copied'); }, function () { select(target); done('Press Ctrl+C'); });
    } else {
      select(target);
      done('Press Ctrl+C');
    }
  }

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('[data-copy]') : null;
    if (button) {
      event.preventDefault();
      copy(button);
    }
  });

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-live]'), connect);
  });
})();
