// The officer view at `/can-bo`: the plan duty table (server-side filters, client-side sort,
// CSV and iCalendar exports carrying the same filters) and the internal question box, whose
// answers use the chat's renderer and source card.
import { ApiError, createSourceCard, el, errorFrom, postJSON, renderAnswer } from "./chat.js";

const KEY_STORE = "tthc.officerKey";
const SESSION_STORE = "tthc.officerSession";
const FIELDS = ["commune", "unit", "role", "due_before", "q"];

const filters = document.getElementById("filters");
const communeSelect = document.getElementById("f-commune");
const status = document.getElementById("duty-status");
const table = document.getElementById("duties");
const tbody = table.querySelector("tbody");
const csvLink = document.getElementById("export-csv");
const icsLink = document.getElementById("export-ics");

let rows = [];
let sort = { key: null, dir: 1 };
let requestNo = 0;

function store(key, value) {
  try {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
  } catch {
    // storage blocked: the officer types the key again
  }
}

function stored(key) {
  try {
    return sessionStorage.getItem(key) || "";
  } catch {
    return "";
  }
}

/** The filter form as query parameters (empty fields left out). */
function currentParams() {
  const params = new URLSearchParams();
  const data = new FormData(filters);
  for (const name of FIELDS) {
    const value = String(data.get(name) ?? "").trim();
    if (value) params.set(name, value);
  }
  if (!params.has("role")) params.set("role", "any");
  return params;
}

function exportHref(params, format) {
  const withFormat = new URLSearchParams(params);
  withFormat.set("format", format);
  return `/api/duties?${withFormat}`;
}

function formatDate(iso) {
  const [year, month, day] = iso.split("-");
  return `${day}/${month}/${year}`;
}

function compare(a, b) {
  const { key, dir } = sort;
  const x = a[key] || "";
  const y = b[key] || "";
  if (!x && y) return 1; // no date or no name: always last
  if (x && !y) return -1;
  return dir * (key === "due_date" ? (x < y ? -1 : x > y ? 1 : 0) : x.localeCompare(y, "vi"));
}

function sourceCell(duty) {
  const source = duty.source || {};
  const details = el("details", { className: "duty-source" },
    el("summary", { textContent: "Xem", "aria-label": `Xem nguồn của nhiệm vụ: ${duty.task || ""}`.slice(0, 200) }));
  if (duty.plan_title) details.append(el("p", { className: "plan", textContent: duty.plan_title }));
  if (source.section) details.append(el("p", { className: "section", textContent: `Mục: ${source.section}` }));
  details.append(el("blockquote", { className: "card-quote" }, el("p", { textContent: source.text || "" })));
  return el("td", {}, details);
}

function render() {
  const shown = sort.key ? [...rows].sort(compare) : rows;
  tbody.replaceChildren(...shown.map((duty) => el("tr", {},
    el("td", { textContent: duty.commune || "" }),
    el("td", { className: "task", textContent: duty.task || "" }),
    el("td", { textContent: duty.product || "" }),
    el("td", { textContent: duty.lead || "" }),
    el("td", { textContent: (duty.partners || []).join("; ") }),
    el("td", { textContent: duty.deadline_text || "" }),
    el("td", { className: "date" }, duty.due_date ? el("time", { dateTime: duty.due_date, textContent: formatDate(duty.due_date) }) : ""),
    sourceCell(duty),
  )));
  for (const th of table.querySelectorAll("th[data-sort]")) {
    if (th.dataset.sort === sort.key) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
}

async function load() {
  const params = currentParams();
  const mine = ++requestNo;
  csvLink.href = exportHref(params, "csv");
  icsLink.href = exportHref(params, "ics");
  status.textContent = "Đang tải nhiệm vụ…";
  table.setAttribute("aria-busy", "true");
  try {
    // With the officer's key (kept for this tab), internal plans' duties are listed too.
    const key = stored(KEY_STORE);
    const headers = key ? { Accept: "application/json", "X-API-Key": key } : { Accept: "application/json" };
    const response = await fetch(`/api/duties?${params}`, { headers });
    if (!response.ok) throw await errorFrom(response);
    const body = await response.json();
    if (mine !== requestNo) return; // a newer request is on its way
    rows = Array.isArray(body.duties) ? body.duties : [];
    if (communeSelect.options.length === 1) fillCommunes(rows);
    render();
    status.textContent = rows.length ? `${rows.length} nhiệm vụ.` : "Không có nhiệm vụ nào khớp bộ lọc.";
  } catch (err) {
    if (mine !== requestNo) return;
    rows = [];
    render();
    status.textContent = err instanceof ApiError ? err.message : "Không tải được danh sách nhiệm vụ. Vui lòng thử lại.";
  } finally {
    if (mine === requestNo) table.removeAttribute("aria-busy");
  }
}

/** The commune list comes from the data: the first load is unfiltered. */
function fillCommunes(duties) {
  const names = [...new Set(duties.map((d) => d.commune).filter(Boolean))].sort((a, b) => a.localeCompare(b, "vi"));
  for (const name of names) communeSelect.append(el("option", { value: name, textContent: name }));
}

filters.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
filters.addEventListener("reset", () => setTimeout(load)); // after the form has cleared itself
for (const input of filters.querySelectorAll("select, input[type=date]")) input.addEventListener("change", load);

for (const th of table.querySelectorAll("th[data-sort]")) {
  th.querySelector("button").addEventListener("click", () => {
    sort = { key: th.dataset.sort, dir: sort.key === th.dataset.sort ? -sort.dir : 1 };
    render();
  });
}

// ---- Hỏi đáp nội bộ ---------------------------------------------------------------------

const askForm = document.getElementById("officer-ask");
const keyInput = document.getElementById("o-key");
const questionInput = document.getElementById("o-question");
const askButton = document.getElementById("o-send");
const answers = document.getElementById("officer-answer");
const openCard = createSourceCard(document.body);
const AUTH_MESSAGES = {
  401: "Cần nhập khóa cán bộ.",
  403: "Khóa cán bộ không đúng.",
  404: "Máy chủ chưa bật hỏi đáp nội bộ (chưa cấu hình khóa cán bộ).",
};

keyInput.value = stored(KEY_STORE);

askForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  const question = questionInput.value.trim();
  if (!key || !question) return;
  store(KEY_STORE, key);
  askButton.disabled = true;
  const message = el("article", { className: "msg msg-bot", "aria-busy": "true", "data-state": "streaming" },
    el("p", { className: "typing", textContent: "Đang tìm câu trả lời…" }));
  answers.prepend(el("div", { className: "officer-turn" },
    el("p", { className: "msg msg-user" }, el("span", { className: "visually-hidden", textContent: "Câu hỏi: " }), question), message));
  try {
    const answer = await postJSON("/api/officer/ask",
      { question, session_id: stored(SESSION_STORE) || null, k: 5 }, { "X-API-Key": key });
    store(SESSION_STORE, answer.session_id);
    message.replaceChildren(renderAnswer(answer, openCard));
    message.classList.toggle("abstained", Boolean(answer.abstained));
    message.dataset.state = "done";
    questionInput.value = "";
  } catch (err) {
    const text = err instanceof ApiError ? (AUTH_MESSAGES[err.status] || err.message) : "Hệ thống gặp lỗi. Vui lòng thử lại sau.";
    if (err.status === 401 || err.status === 403) store(KEY_STORE, "");
    message.classList.add("msg-error");
    message.dataset.state = "error";
    message.replaceChildren(el("p", { className: "error-text", textContent: text }));
  } finally {
    message.removeAttribute("aria-busy");
    askButton.disabled = false;
  }
});

load();
