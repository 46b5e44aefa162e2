// The citizen chat, shared by the page at `/` (page.js) and the portal widget (widget.js):
// `mountChat(root, {apiBase})` builds the whole chat inside `root`, which may be a plain
// element or one inside a shadow root. The answer renderer and the source card are exported
// too, for the officer view.
//
// Everything the server sends (answers, passages, titles, file names) is untrusted: documents
// in the corpus may hold markup or instructions. It only ever reaches the page through
// textContent and text nodes, never as HTML, links or images.

const SESSION_KEY = "tthc.session";
const ASK_TIMEOUT_MS = 90000;
const DEFAULT_NOTICE =
  "Bạn đang hỏi đáp với trợ lý AI. Câu trả lời được trích từ tài liệu của xã và có thể chưa đầy đủ; hãy xem nguồn trích dẫn.";
const DEFAULT_PRIVACY =
  "Câu hỏi của bạn được lưu trong thời gian ngắn để cải thiện dịch vụ. Đừng nhập số CCCD, số điện thoại hay thông tin cá nhân khác.";
const MESSAGES = {
  network: "Không kết nối được tới máy chủ. Vui lòng kiểm tra mạng và thử lại.",
  server: "Hệ thống đang gặp lỗi. Vui lòng thử lại sau.",
  interrupted: "Câu trả lời bị gián đoạn. Vui lòng hỏi lại.",
  timeout: "Máy chủ trả lời quá lâu. Vui lòng thử lại sau.",
};

let lastId = 0;
function uid(prefix) {
  lastId += 1;
  return `tthc-${prefix}-${lastId}`;
}

/** A new element with properties (className, textContent, type, …) and attributes ("aria-*",
 * "data-*", anything with a dash or listed in `attrs`), then children (nodes or strings). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.includes("-") || key === "role" || key === "for") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** An error the server described: its Vietnamese message is shown as is. */
export class ApiError extends Error {
  constructor(message, status = 0, code = "") {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The ApiError for a non-2xx response: the server's `{"error": {"message"}}` when it sent
 * one, and for 429 how many seconds to wait (Retry-After). */
export async function errorFrom(response) {
  let code = "";
  let message = "";
  try {
    const body = await response.json();
    code = String(body?.error?.code ?? "");
    message = String(body?.error?.message ?? "");
  } catch {
    // not JSON: fall back to a message of our own
  }
  if (response.status === 429) {
    const wait = parseInt(response.headers.get("Retry-After") || "", 10);
    const hint = Number.isFinite(wait) && wait > 0
      ? `Vui lòng đợi ${wait} giây rồi hỏi lại.`
      : "Vui lòng đợi một lát rồi hỏi lại.";
    message = `${message || "Bạn đã hỏi quá nhiều trong thời gian ngắn."} ${hint}`;
  }
  if (!message) message = response.status >= 500 ? MESSAGES.server : `Yêu cầu không hợp lệ (mã ${response.status}).`;
  return new ApiError(message, response.status, code);
}

/** POST JSON, return the parsed JSON body; throws ApiError with a message fit to show. */
export async function postJSON(url, body, headers = {}) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(MESSAGES.network);
  }
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

/** Server-Sent Events from a fetch response, as {event, data} with `data` parsed as JSON.
 * Lines may end in \n, \r\n or \r; a \r at the end of a chunk waits for the next one. */
async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const lineEnd = /\r\n|\r|\n/g;
  let buffer = "";
  let event = "message";
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    let start = 0;
    let match;
    lineEnd.lastIndex = 0;
    while ((match = lineEnd.exec(buffer))) {
      if (!done && match[0] === "\r" && match.index === buffer.length - 1) break;
      const line = buffer.slice(start, match.index);
      start = lineEnd.lastIndex;
      if (line === "") {
        if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
        event = "message";
        data = [];
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "event") event = text;
        else if (field === "data") data.push(text);
      }
    }
    buffer = buffer.slice(start);
    if (done) {
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
      return;
    }
  }
}

/** Ask with streaming: `onStart({session_id, answer_id})` and `onToken(text)` as the answer
 * arrives; resolves to the full answer object. Falls back to the plain `/api/ask` when the
 * stream cannot be used (no such endpoint, connection dropped before anything arrived). */
export async function ask(apiBase, payload, { onStart = () => {}, onToken = () => {} } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ASK_TIMEOUT_MS);
  let received = false;
  try {
    let response;
    try {
      response = await fetch(`${apiBase}/api/ask/stream`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(payload),
        signal: controller.signal,
      });
    } catch (err) {
      if (controller.signal.aborted) throw new ApiError(MESSAGES.timeout);
      throw new ApiError(MESSAGES.network);
    }
    if ([404, 405, 501].includes(response.status)) return await postJSON(`${apiBase}/api/ask`, payload);
    if (!response.ok) throw await errorFrom(response);
    if (!(response.headers.get("Content-Type") || "").includes("text/event-stream")) return await response.json();
    try {
      for await (const { event, data } of readEvents(response)) {
        if (event === "start") onStart(data);
        else if (event === "token") {
          received = true;
          onToken(String(data.text ?? ""));
        } else if (event === "done") return data;
        else if (event === "error") throw new ApiError(String(data?.error?.message || MESSAGES.server), 0, data?.error?.code);
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (controller.signal.aborted) throw new ApiError(MESSAGES.timeout);
    }
    // The stream ended without its answer.
    if (received) throw new ApiError(MESSAGES.interrupted);
    return await postJSON(`${apiBase}/api/ask`, payload);
  } finally {
    clearTimeout(timer);
  }
}

/** `text` as nodes: each `[n]` with a citation n becomes a button opening its card; the rest
 * stays text. */
function answerNodes(text, citations, openCard) {
  const byNumber = new Map(citations.map((c) => [Number(c.n), c]));
  const parts = String(text).split(/\[(\d+)\]/);
  const nodes = [];
  parts.forEach((part, i) => {
    if (i % 2 === 0) {
      if (part) nodes.push(document.createTextNode(part));
      return;
    }
    const citation = byNumber.get(Number(part));
    if (!citation) {
      nodes.push(document.createTextNode(`[${part}]`));
      return;
    }
    // The button is a 44px target; the chip drawn inside it keeps the line's height.
    const button = el("button", { type: "button", className: "cite", "aria-label": `Nguồn ${part}` },
      el("span", { className: "cite-n", textContent: part }));
    button.addEventListener("click", () => openCard(citation, button));
    nodes.push(button);
  });
  return nodes;
}

/** A citation's title: a procedure's name is never a file name (`1.001193.json`). */
function sourceTitle(citation) {
  return citation.title || (citation.kind === "procedure" ? "Thủ tục hành chính" : citation.source) || "Tài liệu";
}

/** The record's page on the national portal, when the citation carries one (https only:
 * the portal's crawl is data, not code). */
function portalUrl(citation) {
  try {
    const url = new URL(String(citation.source_url || ""));
    return url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A citation in the "Nguồn" list: title and section, and a procedure's national code. */
function sourceLabel(citation) {
  const title = sourceTitle(citation);
  const section = citation.section || "";
  const code = citation.procedure_code ? ` (mã ${citation.procedure_code})` : "";
  if (!section) return title + code;
  return (section.startsWith(`${title} › `) ? section : `${title} — ${section}`) + code;
}

/** What a phone shows of an answer before "Xem thêm": its first line (the fact, or the
 * heading of the lines that hold it, likeliest first) and three more (issue 15). */
const SHOWN_LINES = 4;

/** The answer's text with citation buttons, a "Nguồn" list, and for an abstention a
 * distinct heading: everything an answer shows except feedback. Its first lines are shown;
 * the rest, then the details, are behind "Xem thêm". Returns a fragment. */
export function renderAnswer(answer, openCard) {
  const citations = Array.isArray(answer.citations) ? answer.citations : [];
  const fragment = document.createDocumentFragment();
  if (answer.abstained) {
    fragment.append(el("p", { className: "abstain-title", textContent: "Tài liệu hiện có chưa trả lời được câu hỏi này" }));
  }
  const lines = String(answer.answer ?? "").split("\n");
  const shown = lines.slice(0, SHOWN_LINES).join("\n");
  const more = [lines.slice(SHOWN_LINES).join("\n"), answer.details ?? ""].filter((t) => t.trim()).join("\n");
  fragment.append(el("div", { className: "answer-text" }, ...answerNodes(shown, citations, openCard)));
  if (more) {
    fragment.append(el("details", { className: "more" },
      el("summary", { className: "more-title", textContent: "Xem thêm" }),
      el("div", { className: "answer-more" }, ...answerNodes(more, citations, openCard))));
  }
  if (citations.length) {
    const list = el("ol", { className: "sources-list" });
    for (const citation of citations) {
      const button = el("button", { type: "button", className: "source-link" },
        el("span", { className: "source-n", textContent: `[${citation.n}]` }), ` ${sourceLabel(citation)}`);
      button.addEventListener("click", () => openCard(citation, button));
      list.append(el("li", {}, button));
    }
    fragment.append(el("details", { className: "sources" },
      el("summary", { className: "sources-title", textContent: `Nguồn (${citations.length})` }), list));
  }
  return fragment;
}

/** A modal card showing one citation: title, section, page, the quoted passage and the source
 * file's name, all as text. Close button and Escape close it and focus returns to the button
 * that opened it. `container` is where the <dialog> lives (inside the shadow root for the
 * widget). Returns `open(citation, opener)`. */
export function createSourceCard(container) {
  const titleId = uid("card-title");
  const title = el("h2", { className: "card-title", id: titleId });
  const label = el("p", { className: "card-label" });
  const meta = el("dl", { className: "card-meta" });
  const quote = el("blockquote", { className: "card-quote" });
  const link = el("a", { className: "card-link", target: "_blank", rel: "noopener noreferrer", hidden: true,
    textContent: "Xem thủ tục trên Cổng Dịch vụ công quốc gia" });
  const close = el("button", { type: "button", className: "card-close", textContent: "Đóng", "aria-label": "Đóng nguồn" });
  const dialog = el("dialog", { className: "source-card", "aria-labelledby": titleId },
    el("div", { className: "card-head" }, el("div", {}, label, title), close), meta, link, quote);
  let opener = null;
  close.addEventListener("click", () => dialog.close());
  // Escape closes the card only, not the widget panel around it.
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") event.stopPropagation();
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });
  dialog.addEventListener("close", () => {
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });
  container.append(dialog);

  return function open(citation, from) {
    opener = from || null;
    label.textContent = `Nguồn [${citation.n}]`;
    title.textContent = sourceTitle(citation);
    const procedure = citation.kind === "procedure";
    const rows = [
      ["Mục", citation.section],
      ["Trang", citation.page ? `Trang ${citation.page}` : null],
      ["Loại", { plan: "Kế hoạch", procedure: "Thủ tục hành chính" }[citation.kind] || null],
      ["Xã", citation.commune],
      ["Năm", citation.year],
      ["Mã thủ tục", citation.procedure_code],
      ["Tệp nguồn", procedure ? null : citation.source], // a procedure is its code and page
    ];
    meta.replaceChildren();
    for (const [name, value] of rows) {
      if (value === null || value === undefined || value === "") continue;
      meta.append(el("div", { className: "card-row" }, el("dt", { textContent: name }), el("dd", { textContent: String(value) })));
    }
    const url = portalUrl(citation);
    link.hidden = !url;
    if (url) link.href = url;
    else link.removeAttribute("href");
    quote.replaceChildren(el("p", { textContent: citation.text ?? "" }));
    if (dialog.open) dialog.close();
    dialog.showModal();
    close.focus();
  };
}

function loadSession() {
  try {
    return sessionStorage.getItem(SESSION_KEY);
  } catch {
    return null; // storage blocked (privacy settings, sandboxed frame): no follow-ups
  }
}

function saveSession(id) {
  try {
    if (id) sessionStorage.setItem(SESSION_KEY, id);
    else sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // see loadSession
  }
}

/** Thumbs up/down under an answer; one click sends it and thanks the citizen. */
function feedbackBar(apiBase, answerId) {
  const status = el("p", { className: "feedback-status", role: "status" });
  // Words, not emoji: phones without an emoji font would show empty boxes.
  const up = el("button", { type: "button", className: "thumb", textContent: "Hữu ích", "aria-label": "Câu trả lời hữu ích" });
  const down = el("button", { type: "button", className: "thumb", textContent: "Chưa đúng", "aria-label": "Câu trả lời chưa đúng" });
  const send = async (rating, pressed) => {
    up.disabled = true;
    down.disabled = true;
    pressed.setAttribute("aria-pressed", "true");
    try {
      await postJSON(`${apiBase}/api/feedback`, { answer_id: answerId, rating, comment: null });
      status.textContent = "Cảm ơn bạn đã góp ý.";
    } catch (err) {
      status.textContent = err.message;
      up.disabled = false;
      down.disabled = false;
      pressed.removeAttribute("aria-pressed");
    }
  };
  up.addEventListener("click", () => send("up", up));
  down.addEventListener("click", () => send("down", down));
  return el("div", { className: "feedback" }, el("span", { className: "feedback-label", textContent: "Câu trả lời có hữu ích không?" }), up, down, status);
}

/** "Xã Đức An" for `Đức An` (a name given with its kind, `Phường Hòa Bình`, keeps it): how
 * the page and the widget show the commune whose portal they are on. */
export function communeLabel(commune) {
  const name = String(commune || "").trim().replace(/\s+/g, " ");
  if (!name) return "";
  return /^(xã|phường|thị trấn|đặc khu)\s/i.test(name) ? name[0].toUpperCase() + name.slice(1) : `Xã ${name}`;
}

/** Build the chat inside `root` and return `{focus()}` (focus the question box).
 * `apiBase` is "" on the service's own pages and the service's origin in the widget;
 * `commune` (the portal's commune) is sent with every question as its default context. */
export function mountChat(root, { apiBase = "", commune = "" } = {}) {
  commune = String(commune || "").trim().slice(0, 100);
  const questionId = uid("question");
  const notice = el("p", { className: "ai-notice", textContent: DEFAULT_NOTICE });
  const privacyText = el("p", { className: "privacy-text", textContent: DEFAULT_PRIVACY });
  const privacySummary = el("summary", { textContent: "Quyền riêng tư" });
  const office = el("p", { className: "office", hidden: true });
  const forget = el("button", { type: "button", className: "forget", textContent: "Xóa cuộc trò chuyện" });
  const forgetStatus = el("p", { className: "forget-status", role: "status" });
  const intro = el("div", { className: "intro" }, notice,
    el("details", { className: "privacy" }, privacySummary, privacyText), office, forget, forgetStatus);
  const log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-label": "Cuộc trò chuyện" });
  const scroller = el("div", { className: "chat-scroll" }, intro, log);
  const chipList = el("ul", { className: "chips" });
  const suggestions = el("nav", { className: "suggestions", "aria-label": "Câu hỏi gợi ý", hidden: true },
    el("p", { className: "suggestions-title", textContent: "Gợi ý:" }), chipList);
  const question = el("textarea", {
    id: questionId, className: "question", rows: 2, maxLength: 2000, autocomplete: "off",
    placeholder: "Nhập câu hỏi, ví dụ: làm giấy khai sinh cần giấy tờ gì?",
  });
  const send = el("button", { type: "submit", className: "send", textContent: "Gửi" });
  const hint = el("p", { className: "input-hint", id: uid("hint"), textContent: "Enter để gửi, Shift+Enter để xuống dòng." });
  question.setAttribute("aria-describedby", hint.id);
  const form = el("form", { className: "ask" },
    el("label", { className: "visually-hidden", for: questionId, textContent: "Câu hỏi của bạn" }),
    el("div", { className: "ask-row" }, question, send), hint);
  root.classList.add("chat");
  root.replaceChildren(scroller, suggestions, form);
  const openCard = createSourceCard(root);

  let busy = false;
  let popular = [];

  const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  // Follow a new answer down only as far as its start stays in view: on a phone a long answer
  // is read from its first line, not from its end.
  const keepDown = (wasNear, message) => {
    if (!wasNear) return;
    const start = message.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop;
    scroller.scrollTop = Math.min(scroller.scrollHeight, start - 8);
  };

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    forget.disabled = value;
    for (const chip of root.querySelectorAll(".chip")) chip.disabled = value;
  }

  function chips(list, texts) {
    list.replaceChildren(...texts.map((text) => {
      const chip = el("button", { type: "button", className: "chip", textContent: text, disabled: busy });
      chip.addEventListener("click", () => submit(text));
      return el("li", {}, chip);
    }));
    return list;
  }

  async function submit(text) {
    text = text.trim();
    if (busy || !text) return;
    setBusy(true);
    log.append(el("div", { className: "msg msg-user" }, el("span", { className: "visually-hidden", textContent: "Bạn hỏi: " }), text));
    const streamed = el("div", { className: "answer-text" });
    const typing = el("p", { className: "typing" },
      el("span", { className: "dots", "aria-hidden": "true" }, el("span"), el("span"), el("span")),
      el("span", { className: "visually-hidden", textContent: "Trợ lý đang trả lời…" }));
    const message = el("article", { className: "msg msg-bot", "aria-busy": "true", "aria-label": "Trả lời của trợ lý", "data-state": "streaming" }, streamed, typing);
    log.append(message);
    keepDown(true, message);
    const session = loadSession();
    try {
      const payload = { question: text, session_id: session || null, k: 5, ...(commune ? { commune } : {}) };
      const answer = await ask(apiBase, payload, {
        onStart: (start) => {
          if (start?.session_id) saveSession(start.session_id);
        },
        onToken: (token) => {
          const near = nearBottom();
          streamed.append(document.createTextNode(token));
          keepDown(near, message);
        },
      });
      if (answer.session_id) saveSession(answer.session_id);
      const near = nearBottom();
      message.replaceChildren(renderAnswer(answer, openCard));
      if (answer.abstained) {
        message.classList.add("abstained");
        if (popular.length) {
          message.append(el("p", { className: "suggestions-title", textContent: "Bạn có thể thử hỏi:" }),
            chips(el("ul", { className: "chips chips-wrap" }), popular.slice(0, 4)));
        }
      }
      if (answer.answer_id) message.append(feedbackBar(apiBase, answer.answer_id));
      message.dataset.state = "done";
      keepDown(near, message);
    } catch (err) {
      message.classList.add("msg-error");
      message.dataset.state = "error";
      message.replaceChildren(el("p", { className: "error-text", textContent: err instanceof ApiError ? err.message : MESSAGES.server }));
      if (!(err instanceof ApiError)) console.error(err);
    } finally {
      message.removeAttribute("aria-busy");
      setBusy(false);
    }
  }

  // The citizen's right to erasure: the server deletes the conversation's questions and
  // feedback, the page forgets it too.
  forget.addEventListener("click", async () => {
    if (busy) return;
    const session = loadSession();
    forgetStatus.textContent = "";
    if (session) {
      try {
        const response = await fetch(`${apiBase}/api/sessions/${encodeURIComponent(session)}`, { method: "DELETE" });
        if (!response.ok) throw await errorFrom(response);
      } catch (err) {
        forgetStatus.textContent = err instanceof ApiError ? err.message : MESSAGES.network;
        return;
      }
    }
    saveSession(null);
    log.replaceChildren();
    forgetStatus.textContent = "Đã xóa cuộc trò chuyện.";
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = question.value;
    if (busy || !text.trim()) return;
    question.value = "";
    submit(text);
  });
  question.addEventListener("keydown", (event) => {
    // isComposing: Vietnamese input methods use Enter to confirm a word.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  getJSON(`${apiBase}/api/about`).then((about) => {
    if (about.assistant_notice) notice.textContent = String(about.assistant_notice);
    if (about.privacy_notice) privacyText.textContent = String(about.privacy_notice);
    if (about.retention_days) privacySummary.textContent = `Quyền riêng tư: câu hỏi được lưu tối đa ${about.retention_days} ngày`;
    if (about.office && !notice.textContent.includes(String(about.office))) {
      office.textContent = `Cần hỗ trợ trực tiếp: ${about.office}`;
      office.hidden = false;
    }
  }).catch(() => {});
  getJSON(`${apiBase}/api/suggestions`).then((body) => {
    popular = (Array.isArray(body.suggestions) ? body.suggestions : []).map(String).filter(Boolean).slice(0, 8);
    if (popular.length) {
      chips(chipList, popular);
      suggestions.hidden = false;
    }
  }).catch(() => {});

  return { focus: () => question.focus() };
}
