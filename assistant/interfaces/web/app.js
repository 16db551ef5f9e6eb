"use strict";
/*
 * Kompetensassistenten's page: ask, read the answer with numbered sources, open a source, draft a
 * handlingsplan (preview or Word), give 👍/👎. A partner's token lives in sessionStorage and goes
 * out as an Authorization header; nothing else is stored.
 */
(function () {
  const TOKEN_KEY = "kompetens.token";
  const $ = (id) => document.getElementById(id);
  const md = window.KompetensMarkdown;

  const TYPES = {
    strategi: "Strategi", agenda: "Agenda", handlingsplan: "Handlingsplan", enkat: "Enkät",
    bristlista: "Bristlista", lardom: "Lärdom", protokoll: "Protokoll", beslut: "Beslut", ovrigt: "Övrigt",
  };

  let currentAnswer = null;

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
      return c ? { href: sourceHref(c.source_id), open: () => openSource(c.source_id) } : null;
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
  });

  $("token-clear").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $("token").value = "";
    showTokenState();
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
    try {
      showAnswer(await api("/api/ask", { method: "POST", body: { question: question } }));
    } catch (e) {
      showError("ask-error", e.message);
    } finally {
      setBusy("ask-busy", false, [$("ask-button")]);
      $("answer").setAttribute("aria-busy", "false");
    }
  });

  function showAnswer(answer) {
    currentAnswer = answer;
    $("answer-text").replaceChildren(md.render(answer.answer, citeFrom(answer.citations)));
    $("answer-sources").replaceChildren(...answer.citations.map(sourceItem));
    $("sources-heading").hidden = $("answer-sources").hidden = answer.citations.length === 0;
    document.querySelectorAll("#feedback-form button").forEach((b) => { b.disabled = !answer.answer_id; });
    $("feedback-comment").value = "";
    $("feedback-status").textContent = "";
    $("answer").hidden = false;
  }

  function sourceItem(c) {
    const li = document.createElement("li");
    li.value = c.n;
    const link = document.createElement("a");
    link.href = sourceHref(c.source_id);
    link.textContent = c.title;
    link.addEventListener("click", (event) => { event.preventDefault(); openSource(c.source_id); });
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

  $("feedback-form").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-rating]");
    if (!button || !currentAnswer || !currentAnswer.answer_id) return;
    const buttons = document.querySelectorAll("#feedback-form button");
    buttons.forEach((b) => { b.disabled = true; });
    $("feedback-status").textContent = "Skickar …";
    try {
      await api("/api/feedback", { method: "POST", body: {
        answer_id: currentAnswer.answer_id, rating: button.dataset.rating,
        comment: $("feedback-comment").value.trim() || null,
      } });
      $("feedback-status").textContent = "Tack för ditt omdöme!";
    } catch (e) {
      $("feedback-status").textContent = e.message;
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  $("feedback-form").addEventListener("submit", (event) => event.preventDefault());

  // ---- source view --------------------------------------------------------------------------

  async function openSource(sourceId) {
    const panel = $("kalla");
    panel.hidden = false;
    $("source-body").hidden = true;
    showError("source-error", "");
    setBusy("source-busy", true);
    panel.scrollIntoView({ block: "start" });
    panel.focus();
    try {
      showSource(await api("/api/sources/" + encodeURIComponent(sourceId)));
    } catch (e) {
      showError("source-error", e.message);
    } finally {
      setBusy("source-busy", false);
    }
  }

  function showSource(s) {
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
    $("source-text").textContent = s.text;
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
    if (id) openSource(decodeURIComponent(id));
  }

  window.addEventListener("hashchange", routeToSource);

  // ---- drafts -------------------------------------------------------------------------------

  function draftRequest(format) {
    const avsnitt = Array.from(document.querySelectorAll("input[name=avsnitt]:checked")).map((i) => i.value);
    if (!avsnitt.length) throw new Error("Välj minst ett avsnitt.");
    return { kommun: $("kommun").value, avsnitt: avsnitt, format: format };
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
})();
