// Minimal chat client: sends messages to the page's own /api/message, which forwards them to Rasa.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("message");
  const submit = form.querySelector("button");
  const senderKey = "kc-sender-id";
  let sender = sessionStorage.getItem(senderKey);
  if (!sender) {
    sender = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    sessionStorage.setItem(senderKey, sender);
  }

  function linkify(text) {
    const fragment = document.createDocumentFragment();
    const parts = text.split(/(https?:\/\/[^\s)]+)/g);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        const a = document.createElement("a");
        a.href = part; a.textContent = part; a.target = "_blank"; a.rel = "noopener";
        fragment.appendChild(a);
      } else {
        fragment.appendChild(document.createTextNode(part.replace(/\*\*/g, "")));
      }
    });
    return fragment;
  }

  function addMessage(text, kind) {
    const item = document.createElement("li");
    item.className = "msg msg--" + kind;
    item.appendChild(linkify(text));
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
    return item;
  }

  function addButtons(buttons) {
    const item = document.createElement("li");
    item.className = "buttons";
    buttons.forEach(function (button) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = button.title;
      b.addEventListener("click", function () { send(button.payload || button.title, button.title); });
      item.appendChild(b);
    });
    log.appendChild(item);
  }

  // shown === null: a message the user did not type (the greeting on page load) is not echoed.
  async function send(message, shown) {
    if (shown !== null) { addMessage(shown || message, "user"); }
    submit.disabled = true;
    try {
      const response = await fetch("api/message", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: sender, message: message })
      });
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      const replies = await response.json();
      if (!replies.length) {
        addMessage("Dazu habe ich gerade keine Antwort. Versuchen Sie es bitte noch einmal.", "bot");
      }
      replies.forEach(function (reply) {
        if (reply.text) { addMessage(reply.text, "bot"); }
        if (reply.buttons && reply.buttons.length) { addButtons(reply.buttons); }
      });
    } catch (error) {
      addMessage("Der Assistent ist gerade nicht erreichbar. Bitte versuchen Sie es in einem Moment erneut.", "error");
    } finally {
      submit.disabled = false;
      input.focus();
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
  input.focus();
  // Start with the assistant's greeting and its buttons, so the page is never an empty box.
  send("/greet", null);
})();
