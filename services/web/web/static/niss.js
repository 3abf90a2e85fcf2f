// Progressive enhancement of the registration form: as a NISS (or BIS number) is typed, show the birth date and
// sex it holds, or say that it is not valid. The same rules as libs/niss (the server checks again on submit):
// 11 digits (dots, dashes, spaces and slashes ignored); the check number is 97 - (first 9 digits mod 97), with
// "2" put in front of the 9 digits for people born from 2000; BIS numbers add 20 (sex unknown) or 40 (sex
// known) to the month; the serial (digits 7-9) is odd for men, even for women, and neither 000 nor 999.
(function () {
  "use strict";
  var input = document.querySelector("input[data-niss]");
  var out = document.getElementById("f-niss-derived");
  if (!input || !out) { return; }
  document.documentElement.classList.add("js");
  var months = (out.getAttribute("data-months") || "").split("|");

  function daysIn(year, month) { return new Date(Date.UTC(year, month, 0)).getUTCDate(); }

  function mod97(s) { // s: a string of digits, possibly longer than a safe integer
    var r = 0;
    for (var i = 0; i < s.length; i++) { r = (r * 10 + (s.charCodeAt(i) - 48)) % 97; }
    return r;
  }

  function parse(text) {
    if (!/^[0-9.\-\s\/]*$/.test(text)) { return null; }
    var d = text.replace(/[^0-9]/g, "");
    if (d.length !== 11) { return null; }
    var first9 = d.slice(0, 9), check = parseInt(d.slice(9), 10), century;
    if (97 - mod97(first9) === check) { century = 1900; }
    else if (97 - mod97("2" + first9) === check) { century = 2000; }
    else { return null; }
    var year = century + parseInt(d.slice(0, 2), 10);
    var m = parseInt(d.slice(2, 4), 10), day = parseInt(d.slice(4, 6), 10), serial = parseInt(d.slice(6, 9), 10);
    if (!(m <= 12 || (m >= 20 && m <= 32) || (m >= 40 && m <= 52))) { return null; }
    var month = m >= 40 ? m - 40 : (m >= 20 ? m - 20 : m);
    if (day > 31) { return null; }
    if (month !== 0 && day !== 0 && day > daysIn(year, month)) { return null; }
    if (serial === 0 || serial === 999) { return null; }
    var sex = (m >= 20 && m < 40) ? "unknown" : (serial % 2 === 1 ? "male" : "female");
    return {
      formatted: d.slice(0, 2) + "." + d.slice(2, 4) + "." + d.slice(4, 6) + "-" + d.slice(6, 9) + "." + d.slice(9),
      year: year, month: month, day: day, sex: sex
    };
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, k) { return values.hasOwnProperty(k) ? values[k] : all; });
  }

  function update() {
    var text = input.value.trim();
    if (text === "") { out.textContent = ""; return; }
    var digits = text.replace(/[^0-9]/g, "");
    if (digits.length < 11 && /^[0-9.\-\s\/]*$/.test(text)) { out.textContent = ""; return; }
    var n = parse(text);
    if (!n) { out.textContent = out.getAttribute("data-invalid"); out.classList.add("derived-error"); return; }
    out.classList.remove("derived-error");
    var sex = out.getAttribute("data-" + n.sex);
    if (n.month === 0 || n.day === 0) {
      out.textContent = fill(out.getAttribute("data-valid-nodate"), { formatted: n.formatted, sex: sex });
      return;
    }
    var date = fill(out.getAttribute("data-date"), { day: n.day, month: months[n.month - 1] || n.month, year: n.year });
    out.textContent = fill(out.getAttribute("data-valid"), { formatted: n.formatted, date: date, sex: sex });
    var birth = document.getElementById("f-birth_date");
    if (birth && birth.value === "") {
      birth.value = n.year + "-" + (n.month < 10 ? "0" : "") + n.month + "-" + (n.day < 10 ? "0" : "") + n.day;
    }
    var sexSelect = document.getElementById("f-sex");
    if (sexSelect && sexSelect.value === "" && n.sex !== "unknown") { sexSelect.value = n.sex; }
  }

  input.addEventListener("input", update);
  input.addEventListener("change", update);
})();
