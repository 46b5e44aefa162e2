// The admin page at `/quan-tri`: list, upload, re-index and remove documents through the
// admin API. The key stays in this tab's sessionStorage only.
import { ApiError, el, errorFrom } from "./chat.js";

const KEY_STORE = "tthc.adminKey";
const keyInput = document.getElementById("a-key");
const status = document.getElementById("admin-status");
const body = document.getElementById("documents");
const uploadForm = document.getElementById("upload-form");
const reindexButton = document.getElementById("reindex");
const AUTH = { 401: "Cần nhập khóa quản trị.", 403: "Khóa quản trị không đúng." };

try {
  keyInput.value = sessionStorage.getItem(KEY_STORE) || "";
} catch {
  // storage blocked: type the key each time
}

/** Call the admin API; throws ApiError with a message fit to show. */
async function call(method, path, form) {
  const key = keyInput.value.trim();
  if (!key) throw new ApiError(AUTH[401], 401);
  let response;
  try {
    response = await fetch(path, { method, body: form, headers: { "X-API-Key": key, Accept: "application/json" } });
  } catch {
    throw new ApiError("Không kết nối được tới máy chủ.");
  }
  if (!response.ok) {
    const err = await errorFrom(response);
    // The key's own refusals in the page's words; any other (administration switched off,
    // say) as the server put it.
    throw err.code === `http_${err.status}` && AUTH[err.status] ? new ApiError(AUTH[err.status], err.status) : err;
  }
  try {
    sessionStorage.setItem(KEY_STORE, key);
  } catch {
    // see above
  }
  return response.json();
}

function size(bytes) {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function describe(report) {
  if (!report) return "";
  const failed = Object.entries(report.failed || {}).map(([name, reason]) => `${name}: ${reason}`);
  return [`Chỉ mục ${report.generation || ""}: ${report.chunks ?? "?"} đoạn`,
    failed.length ? `Lỗi — ${failed.join("; ")}` : ""].filter(Boolean).join(". ");
}

async function run(label, action) {
  status.textContent = label;
  for (const button of document.querySelectorAll("button")) button.disabled = true;
  try {
    const message = await action();
    await refresh();
    if (message) status.textContent = message;
  } catch (err) {
    status.textContent = err instanceof ApiError ? err.message : "Hệ thống gặp lỗi.";
  } finally {
    for (const button of document.querySelectorAll("button")) button.disabled = false;
  }
}

async function refresh() {
  const { documents } = await call("GET", "/api/admin/documents");
  body.replaceChildren(...documents.map((doc) => {
    const remove = el("button", { type: "button", className: "secondary", textContent: "Gỡ bỏ", "aria-label": `Gỡ bỏ ${doc.stored_as}` });
    remove.addEventListener("click", () => {
      if (!window.confirm(`Gỡ bỏ ${doc.stored_as} khỏi chỉ mục?`)) return;
      run("Đang gỡ bỏ…", async () => {
        const result = await call("DELETE", `/api/admin/documents/${encodeURIComponent(doc.stored_as)}`);
        return `Đã gỡ bỏ ${result.removed}. ${describe(result.report)}`;
      });
    });
    return el("tr", {},
      el("td", { textContent: doc.stored_as }),
      el("td", { textContent: doc.visibility === "internal" ? "Nội bộ" : "Công khai" }),
      el("td", { textContent: size(doc.size || 0) }),
      el("td", { textContent: doc.status === "indexed" ? "Đã lập chỉ mục" : "Chờ lập chỉ mục" }),
      el("td", { textContent: (doc.titles || []).filter(Boolean).join("; ") }),
      el("td", { textContent: String(doc.chunks ?? "") }),
      el("td", {}, remove));
  }));
  status.textContent = documents.length ? `${documents.length} tài liệu.` : "Chưa có tài liệu nào được nạp.";
}

document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run("Đang tải…", async () => null);
});

uploadForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(uploadForm);
  run("Đang nạp và lập chỉ mục…", async () => {
    const result = await call("POST", "/api/admin/documents", form);
    uploadForm.reset();
    return `Đã nạp ${result.document.name} (lưu là ${result.document.stored_as}). ${describe(result.report)}`;
  });
});

reindexButton.addEventListener("click", () => {
  run("Đang lập lại chỉ mục…", async () => describe((await call("POST", "/api/admin/reindex")).report));
});

if (keyInput.value) run("Đang tải…", async () => null);
