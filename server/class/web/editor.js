// editor.js - a small code editor: a textarea over a coloured copy of its
// text, line numbers, and the line of an error marked. Hand-written, so the
// class server needs nothing from the Internet and no build step.
"use strict";
var ClassEditor = (function () {
  var KEYWORDS = /^(def|return|if|elif|else|for|while|in|not|and|or|import|from|as|class|try|except|finally|with|pass|break|continue|lambda|None|True|False|is|global|raise|yield)$/;
  function esc(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function colourLine(line) {
    var out = "", i = 0, m;
    var re = /(#.*$)|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_]\w*)|([^#"'\w]+|.)/g;
    while ((m = re.exec(line)) !== null) {
      if (m[0] === "") { re.lastIndex++; continue; }
      if (m[1]) out += '<span class="com">' + esc(m[1]) + "</span>";
      else if (m[2]) out += '<span class="str">' + esc(m[2]) + "</span>";
      else if (m[3]) out += '<span class="num">' + esc(m[3]) + "</span>";
      else if (m[4]) out += KEYWORDS.test(m[4]) ? '<span class="kw">' + m[4] + "</span>" : esc(m[4]);
      else out += esc(m[0]);
    }
    return out;
  }
  function attach(textarea, lines, colour) {
    var bad = 0;
    function render() {
      var text = textarea.value.split("\n");
      var nums = [], cols = [];
      for (var i = 0; i < text.length; i++) {
        var n = i + 1;
        nums.push(n === bad ? '<span class="bad">' + n + "</span>" : String(n));
        var c = colourLine(text[i]) || " ";
        cols.push(n === bad ? '<span class="badline">' + c + "</span>" : c);
      }
      lines.innerHTML = nums.join("\n");
      colour.innerHTML = cols.join("\n") + "\n";
      textarea.style.height = "auto";
      textarea.style.height = textarea.scrollHeight + "px";
    }
    textarea.addEventListener("input", render);
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Tab") {
        e.preventDefault();
        var s = textarea.selectionStart;
        textarea.value = textarea.value.slice(0, s) + "    " + textarea.value.slice(textarea.selectionEnd);
        textarea.selectionStart = textarea.selectionEnd = s + 4;
        render();
      }
    });
    render();
    return {
      get: function () { return textarea.value; },
      set: function (v) { textarea.value = v; render(); },
      markLine: function (n) { bad = n || 0; render(); }
    };
  }
  return { attach: attach, colourLine: colourLine };
})();
