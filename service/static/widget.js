// The portal widget. A commune portal pastes one tag:
//   <script src="https://SERVICE/widget.js" defer></script>
// with optional data-title="…", data-position="left|right" and data-commune="Đức An" (the
// portal's commune: the context of every question, so `xã mình` means it; shown in the
// panel's header). It adds a chat bubble inside a
// shadow root (the portal's CSS cannot reach in, ours cannot leak out); the first click
// loads the shared chat (SERVICE/static/chat.js) and mounts it in a panel talking to SERVICE.
// The service must list the portal's origin in TTHC_CORS_ORIGINS, and the portal's own
// Content-Security-Policy, if any, must allow SERVICE for scripts, styles and connections.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || document.querySelector("tthc-widget")) return;
  var origin = new URL(script.src, location.href).origin;
  var title = script.getAttribute("data-title") || "Hỏi đáp thủ tục hành chính";
  var left = script.getAttribute("data-position") === "left";
  var commune = (script.getAttribute("data-commune") || "").trim().slice(0, 100);
  var SVG = "http://www.w3.org/2000/svg";

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function chatIcon() {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z");
    svg.appendChild(path);
    return svg;
  }

  function start() {
    var host = document.createElement("tthc-widget");
    var shadow = host.attachShadow({ mode: "open" });
    var style = make("link");
    style.rel = "stylesheet";
    style.href = origin + "/static/chat.css";

    var wrap = make("div", "tthc-widget" + (left ? " left" : ""));
    wrap.hidden = true; // until our stylesheet is in, so the portal never sees it unstyled
    var panelId = "tthc-panel";
    var bubble = make("button", "bubble");
    bubble.type = "button";
    bubble.setAttribute("aria-label", "Mở trợ lý hỏi đáp");
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-controls", panelId);
    bubble.appendChild(chatIcon());

    var panel = make("div", "panel");
    panel.id = panelId;
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", title);
    var close = make("button", "panel-close", "Đóng");
    close.type = "button";
    close.setAttribute("aria-label", "Đóng trợ lý");
    var head = make("div", "panel-head");
    var heading = make("div", "panel-heading");
    heading.appendChild(make("p", "panel-title", title));
    var place = make("p", "panel-commune");
    place.hidden = true;
    heading.appendChild(place);
    head.appendChild(heading);
    head.appendChild(close);
    var body = make("div", "chat");
    body.appendChild(make("p", "panel-status", "Đang tải trợ lý…"));
    panel.appendChild(head);
    panel.appendChild(body);
    wrap.appendChild(panel);
    wrap.appendChild(bubble);
    shadow.appendChild(style);
    shadow.appendChild(wrap);

    var chat = null;
    var loading = null;

    function load() {
      if (!loading) {
        loading = import(origin + "/static/chat.js").then(function (module) {
          chat = module.mountChat(body, { apiBase: origin, commune: commune });
          if (commune) {
            place.textContent = module.communeLabel(commune);
            place.hidden = false;
          }
        }).catch(function () {
          loading = null; // try again on the next opening
          body.replaceChildren(make("p", "panel-status error-text",
            "Không kết nối được tới dịch vụ hỏi đáp. Vui lòng thử lại sau hoặc liên hệ Bộ phận Một cửa của xã."));
        });
      }
      return loading;
    }

    function setOpen(open) {
      panel.hidden = !open;
      wrap.classList.toggle("open", open);
      bubble.setAttribute("aria-expanded", String(open));
      bubble.setAttribute("aria-label", open ? "Đóng trợ lý hỏi đáp" : "Mở trợ lý hỏi đáp");
      if (!open) {
        bubble.focus();
        return;
      }
      close.focus();
      load().then(function () {
        if (chat && !panel.hidden) chat.focus();
      });
    }

    bubble.addEventListener("click", function () { setOpen(panel.hidden); });
    close.addEventListener("click", function () { setOpen(false); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") setOpen(false);
    });
    function show() { wrap.hidden = false; }
    style.addEventListener("load", show);
    style.addEventListener("error", show);
    document.body.appendChild(host);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
