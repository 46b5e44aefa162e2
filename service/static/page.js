// The citizen page at `/`: the shared chat mounted on the page's own <main>.
import { mountChat } from "./chat.js";

mountChat(document.getElementById("chat"));
