// "Actualizar vista previa" on a template's page: the server renders what the form holds (escaped, with the seed's
// example values) and the fragment replaces the preview. Nothing here builds HTML from the user's text.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const container = document.getElementById("office-template-preview");
  const button = document.getElementById("office-template-preview-refresh");
  const form = document.getElementById("notificationtemplate_form");
  const body = document.getElementById("id_body");
  if (!container || !button || !form || !body) {
    return; // a read-only page: nothing to render but what is saved
  }
  button.hidden = false;
  const value = function (id) {
    const field = document.getElementById(id);
    return field ? field.value : "";
  };
  button.addEventListener("click", function () {
    const data = new URLSearchParams();
    ["channel", "subject", "body", "html_body", "phase"].forEach(function (name) {
      data.append(name, value("id_" + name));
    });
    button.disabled = true;
    fetch(container.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      body: data,
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        container.innerHTML = html; // server-rendered and escaped (apps/notifications/office/previews.py)
      })
      .catch(function () {
        container.textContent = "No se pudo actualizar la vista previa.";
      })
      .finally(function () {
        button.disabled = false;
      });
  });
});
