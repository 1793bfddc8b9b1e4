// Admin › Periodic tasks: say in words when the chosen crontab runs, under the crontab field
// (templates/admin/djcelery/change_periodictask_form.html).
"use strict";
(function () {
  const data = document.getElementById("readable-crontabs");
  const select = document.getElementById("id_crontab");
  const help = document.querySelector(".field-crontab .help");
  if (!data || !select || !help) return;
  const readable = JSON.parse(data.textContent);
  const original = help.textContent;
  const translation = document.querySelector(".field-crontab_translation");
  if (translation) translation.hidden = true;
  function explain() {
    help.textContent = original;
    const words = readable[select.value];
    if (words) {
      help.appendChild(document.createElement("br"));
      help.appendChild(document.createTextNode("Translation: " + words));
    }
  }
  select.addEventListener("change", explain);
  explain();
})();
