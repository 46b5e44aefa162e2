// The citizen page at `/`: the shared chat mounted on the page's own <main>. A portal links
// to it with `?commune=Đức An`: that commune is the context of every question, shown in the
// header.
import { communeLabel, mountChat } from "./chat.js";

const commune = (new URLSearchParams(location.search).get("commune") || "").trim().slice(0, 100);
const label = document.querySelector(".site-commune");
if (commune && label) {
  label.textContent = communeLabel(commune);
  label.hidden = false;
}
mountChat(document.getElementById("chat"), { commune });
