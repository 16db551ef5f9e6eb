"use strict";
/*
 * Kompetensassistenten's page: a conversation (earlier questions and answers stay, follow-ups are
 * sent with the earlier questions), numbered sources, the source view (also from signed links in
 * Slack), the documents the caller can see, drafts (preview or Word) and 👍/👎. A partner's token
 * lives in sessionStorage and goes out as an Authorization header; nothing else is stored.
 */
(function () {
  const TOKEN_KEY = "kompetens.token";
  const $ = (id) => document.getElementById(id);
  const md = window.KompetensMarkdown;

  const TYPES = {
    strategi: "Strategi", agenda: "Agenda", handlingsplan: "Handlingsplan", enkat: "Enkät",
    bristlista: "Bristlista", lardom: "Lärdom", protokoll: "Protokoll", beslut: "Beslut", ovrigt: "Övrigt",
  };

  const MAX_PREVIOUS = 3;
  let turns = [];  // the conversation: {question, answer}, oldest first

  // ---- talking to the API -------------------------------------------------------------------

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = { Accept: opts.raw ? "*/*" : "application/json" };
    if (opts.body) headers["Content-Type"] = "application/json";
    if (token()) headers.Authorization = "Bearer " + token();
    let response;
    try {
      response = await fetch(path, {
        method: opts.method || "GET", headers: headers, body: opts.body ? JSON.stringify(opts.body) : undefined,
      });
    } catch (e) {
      throw new Error("Kunde inte nå servern. Kontrollera anslutningen och försök igen.");
    }
    if (!response.ok) throw new Error(await errorText(response));
    return opts.raw ? response : response.json();
  }

  async function errorText(response) {
    let detail = "";
    try { detail = (await response.json()).detail || ""; } catch (e) { /* not JSON */ }
    switch (response.status) {
      case 401:
        return "Din token godkändes inte. Kontrollera den under ”Partnerinloggning”, eller logga ut för att se publika dokument.";
      case 403:
        if (detail.startsWith("Länken")) return detail;  // an expired or altered signed link says what to do
        return (detail || "Du saknar behörighet.") + " Ange en token med rätt behörighet under ”Partnerinloggning”.";
      case 422:
        return "Kontrollera uppgifterna: " + (detail || "något värde är ogiltigt.");
      case 502:
        return "Språkmodellen gav inget användbart svar. Försök igen om en stund.";
      case 503:
        return "Tjänsten är inte tillgänglig just nu – underlaget går inte att nå. Försök igen om en stund.";
      default:
        return detail || "Något gick fel (" + response.status + "). Försök igen om en stund.";
    }
  }

  // ---- small helpers ------------------------------------------------------------------------

  function setBusy(id, on, buttons) {
    $(id).hidden = !on;
    (buttons || []).forEach((b) => { b.disabled = on; });
  }

  function showError(id, message) {
    const el = $(id);
    el.textContent = message || "";
    el.hidden = !message;
  }

  function sourceHref(sourceId) {
    return "/kalla/" + encodeURIComponent(sourceId);
  }

  function citeFrom(citations) {
    const byN = new Map(citations.map((c) => [c.n, c]));
    return (n) => {
      const c = byN.get(n);
      return c ? { href: sourceHref(c.source_id), open: () => openSource(c.source_id, null, c.quote) } : null;
    };
  }

  function scopeLabel(scope) {
    if (scope === "publik") return "Publik";
    if (scope === "projekt") return "Projektintern";
    if (scope && scope.startsWith("kommun:")) return "Intern för " + scope.slice(7);
    return scope || "";
  }

  function where(c) {
    return [c.page ? "s. " + c.page : "", c.section || "", c.kommun || ""].filter(Boolean).join(" · ");
  }

  // ---- token --------------------------------------------------------------------------------

  function showTokenState() {
    $("token-status").textContent = token() ? "Token sparad" : "Publika dokument";
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
    $("token").value = "";
    showTokenState();
    loadDocuments();
  });

  $("token-clear").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $("token").value = "";
    showTokenState();
    loadDocuments();
  });

  // ---- asking -------------------------------------------------------------------------------

  $("question").addEventListener("input", () => {
    $("question-count").textContent = $("question").value.length + "/1000";
  });

  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("ask-form").requestSubmit();
  });

  $("ask-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (!question) {
      showError("ask-error", "Skriv en fråga först.");
      $("question").focus();
      return;
    }
    showError("ask-error", "");
    setBusy("ask-busy", true, [$("ask-button")]);
    $("answer").setAttribute("aria-busy", "true");
    const previous = turns.map((t) => t.question).slice(-MAX_PREVIOUS);
    try {
      const answer = await api("/api/ask", { method: "POST", body: { question: question, previous: previous } });
      addTurn(question, answer);
      $("question").value = "";
      $("question-count").textContent = "0/1000";
    } catch (e) {
      showError("ask-error", e.message);
    } finally {
      setBusy("ask-busy", false, [$("ask-button")]);
      $("answer").setAttribute("aria-busy", "false");
    }
  });

  $("new-question").addEventListener("click", () => {
    turns = [];
    $("conversation").replaceChildren();
    $("answer").hidden = true;
    $("new-question").hidden = true;
    $("exempel").open = true;
    $("question").placeholder = "Till exempel: Vilka bristyrken rapporterade arbetsgivarna i Åsele?";
    $("question").value = "";
    $("question").focus();
  });

  document.querySelectorAll("button.example").forEach((button) => {
    button.addEventListener("click", () => {
      $("question").value = button.textContent;
      $("question-count").textContent = button.textContent.length + "/1000";
      $("ask-form").requestSubmit();
    });
  });

  /** One question and its answer, appended to the conversation (newest last). */
  function addTurn(question, answer) {
    turns.push({ question: question, answer: answer });
    const n = turns.length;
    const li = $("turn-template").content.firstElementChild.cloneNode(true);
    const part = (cls) => li.querySelector("." + cls);
    li.dataset.turn = String(n);
    part("asked-text").textContent = question;
    if (answer.question && answer.question !== question) {
      part("understood-text").textContent = answer.question;
      part("understood").hidden = false;
    }
    part("answer-text").replaceChildren(md.render(answer.answer, citeFrom(answer.citations), 2, true));
    part("sources").replaceChildren(...answer.citations.map(sourceItem));
    part("sources-heading").id = "sources-heading-" + n;
    part("sources").setAttribute("aria-labelledby", "sources-heading-" + n);
    part("sources-heading").hidden = part("sources").hidden = answer.citations.length === 0;
    part("comment").id = "feedback-comment-" + n;
    part("comment-label").htmlFor = "feedback-comment-" + n;
    part("feedback-heading").id = "feedback-heading-" + n;
    part("feedback").setAttribute("aria-labelledby", "feedback-heading-" + n);
    li.querySelectorAll("button[data-rating]").forEach((b) => { b.disabled = !answer.answer_id; });
    part("feedback").addEventListener("click", (event) => rate(event, li, answer));
    part("feedback").addEventListener("submit", (event) => event.preventDefault());
    $("conversation").append(li);
    $("answer").hidden = false;
    $("new-question").hidden = false;
    $("exempel").open = false;  // the conversation, not the examples, is what matters now
    $("question").placeholder = "Ställ en följdfråga, t.ex. ”Och i Dorotea?”";
    li.scrollIntoView({ block: "nearest" });
  }

  function sourceItem(c) {
    const li = document.createElement("li");
    li.value = c.n;
    const link = document.createElement("a");
    link.href = sourceHref(c.source_id);
    link.textContent = c.title;
    link.addEventListener("click", (event) => { event.preventDefault(); openSource(c.source_id, null, c.quote); });
    li.append(link);
    if (where(c)) {
      const meta = document.createElement("span");
      meta.className = "where";
      meta.textContent = " – " + where(c);
      li.append(meta);
    }
    if (c.quote) {
      const quote = document.createElement("q");
      quote.textContent = c.quote;
      li.append(document.createElement("br"), quote);
    }
    return li;
  }

  // ---- feedback -----------------------------------------------------------------------------

  async function rate(event, li, answer) {
    const button = event.target.closest("button[data-rating]");
    if (!button || !answer.answer_id) return;
    const buttons = li.querySelectorAll(".feedback button");
    const status = li.querySelector(".feedback-status");
    buttons.forEach((b) => { b.disabled = true; });
    status.textContent = "Skickar …";
    try {
      await api("/api/feedback", { method: "POST", body: {
        answer_id: answer.answer_id, rating: button.dataset.rating,
        comment: li.querySelector(".comment").value.trim() || null,
      } });
      status.textContent = "Tack för ditt omdöme!";
    } catch (e) {
      status.textContent = e.message;
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  // ---- source view --------------------------------------------------------------------------

  /** Open the source view; `link` is a signed link's {b, exp, sig} (from Slack), `quote` is highlighted. */
  async function openSource(sourceId, link, quote) {
    const panel = $("kalla");
    panel.hidden = false;
    $("source-body").hidden = true;
    showError("source-error", "");
    setBusy("source-busy", true);
    panel.scrollIntoView({ block: "start" });
    panel.focus();
    const query = link ? "?" + new URLSearchParams(link).toString() : "";
    try {
      showSource(await api("/api/sources/" + encodeURIComponent(sourceId) + query), quote || "");
    } catch (e) {
      showError("source-error", e.message);
    } finally {
      setBusy("source-busy", false);
    }
  }

  /** PDF text with its hard line breaks joined: lines of a paragraph become one, lists and rows stay. */
  function reflow(text) {
    const keep = /^\s*([-•*–]\s|\d+[.)]\s|\|)/;
    return String(text || "").replace(/\r\n?/g, "\n").split(/\n{2,}/).map((para) => {
      const lines = para.split("\n").map((l) => l.trim()).filter(Boolean);
      let out = "";
      lines.forEach((line, i) => {
        if (i === 0) { out = line; return; }
        if (keep.test(line) || keep.test(lines[i - 1]) && /^\|/.test(lines[i - 1])) { out += "\n" + line; return; }
        const split = /[A-Za-zÅÄÖåäö]-$/.test(out) && /^[a-zåäö]/.test(line) && !/^(och|eller|samt)\b/.test(line);
        out = split ? out.slice(0, -1) + line : out + " " + line;
      });
      return out;
    }).join("\n\n");
  }

  /** `text` as nodes with the first occurrence of `quote` (whitespace-insensitive) in a <mark>. */
  function highlighted(text, quote) {
    const words = String(quote || "").replace(/[…]+$/, "").split(/\s+/).filter(Boolean);
    const escape = (w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    for (let n = words.length; n >= Math.min(4, words.length) && n > 0; n = n > 12 ? 12 : n - 4) {
      const match = new RegExp(words.slice(0, n).map(escape).join("[\\s-]+")).exec(text);
      if (match) {
        const mark = document.createElement("mark");
        mark.textContent = match[0];
        return [text.slice(0, match.index), mark, text.slice(match.index + match[0].length)];
      }
    }
    return [text];
  }

  function neighbour(id, label, passages) {
    const el = $(id);
    el.replaceChildren();
    passages.forEach((p) => {
      const heading = document.createElement("p");
      heading.className = "neighbour-label";
      heading.textContent = label + (p.page ? " (s. " + p.page + ")" : "");
      const body = document.createElement("p");
      body.className = "neighbour-text";
      body.textContent = reflow(p.text);
      el.append(heading, body);
    });
    el.hidden = passages.length === 0;
  }

  function showSource(s, quote) {
    $("source-title").textContent = s.title;
    const rows = [
      ["Typ", TYPES[s.type] || s.type], ["Sida", s.page], ["Avsnitt", s.section], ["Kommun", s.kommun],
      ["År", s.year], ["Rader", s.rows ? s.rows.join("–") : null], ["Behörighet", scopeLabel(s.scope)], ["Fil", s.path],
    ];
    const meta = document.createDocumentFragment();
    rows.filter((r) => r[1] !== null && r[1] !== undefined && r[1] !== "").forEach(([label, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = String(value);
      meta.append(dt, dd);
    });
    $("source-meta").replaceChildren(meta);
    $("source-text").replaceChildren(...highlighted(reflow(s.text), quote));
    neighbour("source-before", "Avsnittet före", s.before || []);
    neighbour("source-after", "Avsnittet efter", s.after || []);
    const original = $("source-original");
    if (s.original_url) {
      original.href = s.original_url;
      const pdf = /\.pdf$/i.test(s.path);
      original.textContent = "Öppna originalet" + (pdf ? " (PDF" + (s.page ? ", sidan " + s.page : "") + ")" : "");
    }
    $("source-original-row").hidden = !s.original_url;
    $("source-body").hidden = false;
  }

  $("source-close").addEventListener("click", () => {
    $("kalla").hidden = true;
    if (location.pathname.startsWith("/kalla/") || location.hash.startsWith("#kalla=")) history.replaceState(null, "", "/");
    $("question").focus();
  });

  function routeToSource() {
    const fromPath = location.pathname.match(/^\/kalla\/(.+)$/);
    const fromHash = location.hash.match(/^#kalla=(.+)$/);
    const id = fromPath ? fromPath[1] : fromHash ? fromHash[1] : null;
    if (!id) return;
    const params = new URLSearchParams(location.search);
    const link = params.has("sig") ? { b: params.get("b") || "", exp: params.get("exp") || "", sig: params.get("sig") } : null;
    openSource(decodeURIComponent(id), link, params.get("citat"));
  }

  // ---- documents the caller can see ---------------------------------------------------------

  async function loadDocuments() {
    showError("documents-error", "");
    try {
      const docs = await api("/api/sources");
      $("documents-count").textContent = String(docs.length);
      $("documents").tBodies[0].replaceChildren(...docs.map((d) => {
        const tr = document.createElement("tr");
        const valid = d.valid_from || d.valid_to ? (d.valid_from || "…") + " – " + (d.valid_to || "tills vidare") : "";
        [d.title, TYPES[d.type] || d.type, d.kommun || "", d.year || "", valid].forEach((value) => {
          const td = document.createElement("td");
          td.textContent = String(value);
          tr.append(td);
        });
        return tr;
      }));
    } catch (e) {
      $("documents").tBodies[0].replaceChildren();
      $("documents-count").textContent = "";
      showError("documents-error", "Dokumentlistan kunde inte hämtas. Kontrollera token under ”Partnerinloggning” eller försök igen.");
    }
  }

  window.addEventListener("hashchange", routeToSource);

  // ---- drafts -------------------------------------------------------------------------------

  function draftRequest(format) {
    const avsnitt = Array.from(document.querySelectorAll("input[name=avsnitt]:checked")).map((i) => i.value);
    if (!avsnitt.length) throw new Error("Välj minst ett avsnitt.");
    const body = { kommun: $("kommun").value, avsnitt: avsnitt, format: format };
    const year = $("draft-year").value.trim();
    if (year) body["år"] = Number(year);
    const access = document.querySelector("input[name=behorighet]:checked");
    body["behörighet"] = access ? access.value : "publik";
    return body;
  }

  async function withDraft(work) {
    const buttons = [$("draft-preview"), $("draft-docx")];
    showError("draft-error", "");
    $("draft-status").textContent = "";
    setBusy("draft-busy", true, buttons);
    try {
      await work();
    } catch (e) {
      showError("draft-error", e.message);
    } finally {
      setBusy("draft-busy", false, buttons);
    }
  }

  $("draft-form").addEventListener("submit", (event) => {
    event.preventDefault();
    withDraft(async () => {
      const draft = await api("/api/draft", { method: "POST", body: draftRequest("json") });
      $("draft-preview-area").replaceChildren(md.render(draft.markdown, citeFrom(draft.citations)));
      $("draft-preview-area").hidden = false;
      $("draft-status").textContent = "Utkastet för " + draft.kommun + " visas nedan.";
    });
  });

  $("draft-docx").addEventListener("click", () => {
    withDraft(async () => {
      const response = await api("/api/draft", { method: "POST", body: draftRequest("docx"), raw: true });
      const disposition = response.headers.get("Content-Disposition") || "";
      const name = (disposition.match(/filename="?([^";]+)"?/) || [])[1] || "handlingsplan-utkast.docx";
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      $("draft-status").textContent = "Word-filen " + name + " är nedladdad.";
    });
  });

  showTokenState();
  routeToSource();
  loadDocuments();
})();
