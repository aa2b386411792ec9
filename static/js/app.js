// Small, CSP-friendly enhancements. Every page works without this file.
(function () {
  // Chrome reports some zones by their old names (ICU/CLDR ids); the list has the current ones.
  var ZONE_RENAMES = {
    "Africa/Asmera": "Africa/Asmara",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Catamarca": "America/Argentina/Catamarca",
    "America/Coral_Harbour": "America/Atikokan",
    "America/Cordoba": "America/Argentina/Cordoba",
    "America/Godthab": "America/Nuuk",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "America/Jujuy": "America/Argentina/Jujuy",
    "America/Louisville": "America/Kentucky/Louisville",
    "America/Mendoza": "America/Argentina/Mendoza",
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Australia/Currie": "Australia/Hobart",
    "Etc/GMT": "UTC",
    "Etc/UTC": "UTC",
    "Etc/Universal": "UTC",
    "Europe/Kiev": "Europe/Kyiv",
    "Pacific/Enderbury": "Pacific/Kanton",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "Pacific/Truk": "Pacific/Chuuk",
  };

  // A new diary starts in this device's time zone. Only the server's guess (the option it
  // marked selected) is replaced: never what the user picked, nor a value the browser restored.
  function detectTimeZone(root) {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    if (!zone) return;
    zone = ZONE_RENAMES[zone] || zone;
    root.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
      if (select.dataset.detected) return;
      select.dataset.detected = "true";
      var guess = select.querySelector("option[selected]");
      if (guess && select.value !== guess.value) return;
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone) {
          select.value = zone;
          return;
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    detectTimeZone(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    detectTimeZone(event.target);
  });

  // ---- Red-flag warnings: a new one is scrolled into view and focused, so it is announced
  // and seen first, after a full page load or an htmx swap alike.
  function focusNewWarning() {
    var alert = document.querySelector('.red-flag-alert[data-fresh="true"]');
    if (!alert) return;
    alert.removeAttribute("data-fresh");
    alert.scrollIntoView({ block: "start" });
    alert.focus({ preventScroll: true });
  }
  // A question the form needs before saving, or the first error after a swap: in view and
  // focused, never left below the fold where a tired user would think it was saved.
  function revealWhatNeedsAnAnswer(root) {
    var pending = document.querySelector('[data-focus-on-load="true"]');
    if (pending) {
      pending.removeAttribute("data-focus-on-load");
      pending.scrollIntoView({ block: "start" });
      pending.focus({ preventScroll: true });
      return;
    }
    // A field marked invalid is the place itself: the report's date boxes sit in the period's
    // fieldset, whose first control (a radio) got the focus rather than the date in error.
    var invalid = (root || document).querySelector('[aria-invalid="true"]');
    if (invalid) {
      invalid.scrollIntoView({ block: "center" });
      invalid.focus({ preventScroll: true });
      return;
    }
    var error = (root || document).querySelector(".invalid-feedback.d-block, .is-invalid, .invalid-feedback");
    if (!error) {
      revealResult(root);
      return;
    }
    var wrapper = error.closest(".mb-3, fieldset, .form-group") || error;
    wrapper.scrollIntoView({ block: "center" });
    var field = wrapper.querySelector("input:not([type=hidden]), select, textarea");
    if (field) field.focus({ preventScroll: true });
  }

  // What was just saved, and any advice with it: answering a question low on the page swaps
  // in a shorter panel, which left the answer above the screen and the patient at the footer.
  function revealResult(root) {
    var result = (root || document).querySelector('[data-reveal="true"]');
    if (!result) return;
    result.removeAttribute("data-reveal");
    result.scrollIntoView({ block: "nearest" });
    result.focus({ preventScroll: true });
  }

  function afterLoad(event) {
    if (document.querySelector('.red-flag-alert[data-fresh="true"]')) {
      focusNewWarning();
      return;
    }
    // One answer settles in several parts (the quick log, the warnings out of band): a warning
    // focused by an earlier part keeps the focus and the screen, whatever question or result
    // a later part brings ("headache and can't breathe": the warning, and "Same one?").
    var focused = document.activeElement;
    if (focused && focused.closest && focused.closest(".red-flag-alert")) return;
    revealWhatNeedsAnAnswer(event && event.target !== document ? event.target : null);
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector('.red-flag-alert[data-fresh="true"]')) focusNewWarning();
    else revealWhatNeedsAnAnswer(null);
  });
  document.addEventListener("htmx:afterSettle", afterLoad);
})();

// --- infusions: suggested vial count per lot (start) ---------------------------------------
// Mirrors infusions.forms.add_vial_hints: vials = ceil(dose still to cover / vial size), where
// the dose still to cover is the dose less what the other lots hold. Only the hint text and
// the placeholder change; what the user typed is never touched.
(function () {
  function positive(input) {
    if (!input) return null;
    var value = parseFloat(String(input.value).replace(",", "."));
    return isFinite(value) && value > 0 ? value : null;
  }

  function hundredths(value) {
    return Math.round(value * 100); // whole hundredths of a gram: no floating-point surprises
  }

  function updateVialHints(form) {
    var section = form.querySelector("[data-vial-hint-template]");
    if (!section) return;
    var template = section.dataset.vialHintTemplate;
    var dose = positive(form.querySelector('[name="dose_g"]'));
    if (dose === null) {
      var perKg = positive(form.querySelector('[name="dose_g_per_kg"]'));
      var weight = positive(form.querySelector('[name="weight_kg"]'));
      if (perKg !== null && weight !== null) dose = Math.round(perKg * weight * 10) / 10;
    }
    var rows = [];
    section.querySelectorAll(".formset-row").forEach(function (row) {
      var count = row.querySelector('[name$="-vial_count"]');
      var remove = row.querySelector('[name$="-DELETE"]');
      if (!count) return;
      var deleted = !!(remove && remove.checked);
      var n = positive(count);
      rows.push({
        size: deleted ? null : positive(row.querySelector('[name$="-vial_size_g"]')),
        count: n !== null && n === Math.round(n) ? n : null,
        input: count,
        hint: row.querySelector("[data-vial-hint]"),
      });
    });
    rows.forEach(function (row) {
      var text = "";
      var suggestion = null;
      if (dose !== null && row.size !== null) {
        var rest = hundredths(dose);
        rows.forEach(function (other) {
          if (other !== row && other.size !== null && other.count !== null) {
            rest -= hundredths(other.size) * other.count;
          }
        });
        if (rest > 0) {
          suggestion = Math.ceil(rest / hundredths(row.size));
          text = template
            .replace("{count}", suggestion)
            .replace("{grams}", rest / 100)
            .replace("{size}", row.size);
        }
      }
      if (row.hint) row.hint.textContent = text;
      if (suggestion === null) row.input.removeAttribute("placeholder");
      else row.input.setAttribute("placeholder", String(suggestion));
    });
  }

  function onEdit(event) {
    var form = event.target.closest && event.target.closest("form");
    if (form) updateVialHints(form);
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
})();
// --- infusions: suggested vial count per lot (end) -----------------------------------------

// --- forms: live length counters (start) ----------------------------------------------------
// Every text field with a limit and data-counter (patients.forms_base.PlainWordsMixin sets it)
// gets "12 of 80 characters" under it. The browser's maxlength would silently cut a long paste,
// so it is lifted here: the counter says how many are too many, and the server refuses the
// text with that message while keeping every character typed.
(function () {
  function length(text) {
    return Array.from(text).length; // characters, as the server counts them
  }

  function attachCounters(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll("input[data-counter], textarea[data-counter]").forEach(function (field) {
      var limit = parseInt(field.getAttribute("maxlength") || field.dataset.maxlength, 10);
      if (!limit || field.dataset.counterReady) return;
      field.dataset.counterReady = "true";
      field.dataset.maxlength = String(limit);
      field.removeAttribute("maxlength");
      var counter = document.createElement("div");
      counter.className = "form-text char-counter";
      if (field.id) counter.id = field.id + "_counter";
      var anchor = field.closest(".input-group") || field;
      anchor.insertAdjacentElement("afterend", counter);
      var wording = field.dataset.counter || "{used} / {limit}";
      var wordingOver = field.dataset.counterOver || wording;
      function update() {
        var used = length(field.value);
        var over = used - limit;
        counter.textContent = (over > 0 ? wordingOver : wording)
          .replace("{used}", used)
          .replace("{limit}", limit)
          .replace("{over}", over);
        counter.classList.toggle("text-danger-emphasis", over > 0);
        counter.classList.toggle("fw-semibold", over > 0);
      }
      field.addEventListener("input", update);
      update();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    attachCounters(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    attachCounters(event.target);
  });
})();
// --- forms: live length counters (end) ------------------------------------------------------

// --- patients: emergency number suggestion (start) ------------------------------------------
// Diary settings: "Suggested for United Kingdom: 999 [Use 999]" follows the country picked.
// The button still submits the form, so nothing is saved without the owner's tap.
(function () {
  function setUp() {
    var box = document.querySelector("[data-emergency-numbers]");
    if (!box) return;
    var form = box.closest("form");
    var country = form && form.querySelector('select[name="country"]');
    var field = form && form.querySelector('input[name="emergency_number"]');
    var button = box.querySelector("button[value]");
    if (!country || !field || !button) return;
    var numbers = JSON.parse(box.dataset.emergencyNumbers);
    function update() {
      var number = numbers[country.value] || "";
      var option = country.options[country.selectedIndex];
      box.hidden = !number || field.value.trim() === number;
      if (!number) return;
      button.value = number;
      box.querySelectorAll("[data-number]").forEach(function (el) {
        el.textContent = number;
      });
      box.querySelectorAll("[data-country-name]").forEach(function (el) {
        el.textContent = option ? option.textContent : "";
      });
    }
    country.addEventListener("change", update);
    field.addEventListener("input", update);
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
// --- patients: emergency number suggestion (end) --------------------------------------------

// --- diary: MG-ADL running total (start) ----------------------------------------------------
// The MG-ADL form's total follows the answers as they are picked, with its meaning and the
// change from the last score once every question is answered. The words come from the page
// (clinical.scales via diary/templatetags/mgadl.py); the box is announced politely.
(function () {
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? String(values[key]) : whole;
    });
  }

  function updateTotal(form) {
    var box = form && form.querySelector("[data-mgadl-total]");
    if (!box) return;
    var names = {};
    var total = 0;
    var answered = 0;
    form.querySelectorAll("input[data-mgadl-score]").forEach(function (input) {
      names[input.name] = true;
      if (input.checked) {
        total += parseInt(input.dataset.mgadlScore, 10);
        answered += 1;
      }
    });
    var count = parseInt(box.dataset.itemCount, 10) || Object.keys(names).length;
    var meanings = JSON.parse(box.dataset.meanings || "{}");
    var changes = box.dataset.changes ? JSON.parse(box.dataset.changes) : {};
    var complete = answered === count;
    var values = { total: total, answered: answered, count: count };
    show(box, "[data-mgadl-line]", fill(complete ? box.dataset.complete : box.dataset.partial, values));
    show(box, "[data-mgadl-meaning]", complete ? meanings[total] || "" : fill(box.dataset.progress, values));
    show(box, "[data-mgadl-change]", complete ? changes[total] || "" : "");
    box.hidden = false;
  }

  function show(box, selector, text) {
    var el = box.querySelector(selector);
    if (!el) return;
    if (el.textContent !== text) el.textContent = text;
    el.hidden = !text;
  }

  function updateAll() {
    document.querySelectorAll("[data-mgadl-total]").forEach(function (box) {
      updateTotal(box.closest("form"));
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.dataset && input.dataset.mgadlScore !== undefined) updateTotal(input.form);
  });
  document.addEventListener("DOMContentLoaded", updateAll);
  document.addEventListener("htmx:afterSettle", updateAll);
})();
// --- diary: MG-ADL running total (end) ------------------------------------------------------

// One save per tap: a second tap on the same Save button (a tremor, a double tap, an impatient
// press while the phone is slow) while the first is still on its way is ignored, so it cannot log
// the same infusion, side effect or measure twice. Another button of the same form (the export
// page's CSV, then FHIR) still goes. The form takes submissions again when its answer has come
// and is not a move to another page (htmx's HX-Redirect: the old page stays tappable until the
// new one loads), when the page is shown again from the Back button's cache, or after a while,
// so a request that never answers never locks it.
(function () {
  var RETRY_AFTER_MS = 15000;
  var LEAVING = ["HX-Redirect", "HX-Refresh", "HX-Location"];

  function release(form) {
    if (!form || !form.dataset) return;
    delete form.dataset.submitting;
    delete form.dataset.submittingWith;
    form.removeAttribute("aria-busy");
  }

  // (htmx leaves detail.successful unset on such an answer: the header alone says it.)
  function leaving(detail) {
    var xhr = detail && detail.xhr;
    if (!xhr || !xhr.getResponseHeader) return false;
    return LEAVING.some(function (header) {
      return !!xhr.getResponseHeader(header);
    });
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var method = (form.getAttribute("method") || "get").toLowerCase();
      if (method !== "post" && !form.hasAttribute("hx-post")) return;
      var button = event.submitter;
      var which = button && button.name ? button.name + "=" + button.value : "";
      var since = Number(form.dataset.submitting || 0);
      if (since && Date.now() - since < RETRY_AFTER_MS && form.dataset.submittingWith === which) {
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      form.dataset.submitting = String(Date.now());
      form.dataset.submittingWith = which;
      form.setAttribute("aria-busy", "true");
    },
    true,
  );
  ["htmx:afterRequest", "htmx:sendError", "htmx:timeout", "htmx:abort"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var elt = event.detail && event.detail.elt;
      if (!elt || leaving(event.detail)) return;
      release(elt.closest ? elt.closest("form") : null);
    });
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(release);
  });
  // A side effect's end and "Still going" say opposite things: typing an end unticks "Still
  // going", ticking it clears the end. (The server refuses the two together, should this not
  // run, rather than dropping the end.)
  document.addEventListener("input", function (event) {
    var end = event.target;
    if (!end || end.name !== "ended_at" || !end.value || !end.form) return;
    var going = end.form.elements.namedItem("still_going");
    if (going && going.checked) going.checked = false;
  });
  document.addEventListener("change", function (event) {
    var going = event.target;
    if (!going || going.name !== "still_going" || !going.checked || !going.form) return;
    var end = going.form.elements.namedItem("ended_at");
    if (end && end.value) end.value = "";
  });
  // On paper a chart's table of numbers is its text alternative: print it unfolded, then
  // fold again what was folded.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll(".trends-chart details:not([open])").forEach(function (box) {
      box.setAttribute("data-opened-for-print", "");
      box.open = true;
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-opened-for-print]").forEach(function (box) {
      box.removeAttribute("data-opened-for-print");
      box.open = false;
    });
  });
})();

// --- report: a date typed ticks "Dates I choose" ---------------------------------------------
// The server counts dates typed over the ones shown as that choice (reports.forms); ticking it
// here says so before the report is asked for.
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box || box.type !== "date" || !box.closest(".report-dates") || !box.form) return;
    var custom = box.form.querySelector('input[name="period"][value="custom"]');
    if (custom && !custom.checked) custom.checked = true;
  });
})();
