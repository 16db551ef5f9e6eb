"use strict";
/*
 * A tiny, safe Markdown renderer for answers and drafts: headings, paragraphs, bullet and numbered
 * lists, pipe tables, **bold**, *italic* and [n] source markers. It builds DOM nodes and only ever
 * sets textContent, so HTML in the input is shown as text and never interpreted.
 */
(function (global) {
  const INLINE = /(\*\*[^*\n]+\*\*|\*[^*\s][^*\n]*\*|\[\d+\])/g;

  /** Inline text → a fragment; cite(n) returns {href, open} for a [n] marker or null. */
  function inline(text, cite) {
    const frag = document.createDocumentFragment();
    let last = 0;
    let match;
    INLINE.lastIndex = 0;
    while ((match = INLINE.exec(text)) !== null) {
      if (match.index > last) frag.append(text.slice(last, match.index));
      frag.append(token(match[0], cite));
      last = INLINE.lastIndex;
    }
    if (last < text.length) frag.append(text.slice(last));
    return frag;
  }

  function token(tok, cite) {
    if (tok.startsWith("**")) return element("strong", tok.slice(2, -2));
    if (tok.startsWith("*")) return element("em", tok.slice(1, -1));
    const n = Number(tok.slice(1, -1));
    const target = cite ? cite(n) : null;
    if (!target) return document.createTextNode(tok);
    const a = element("a", tok);
    a.className = "cite";
    a.href = target.href;
    a.setAttribute("aria-label", "Källa " + n);
    a.addEventListener("click", (event) => { event.preventDefault(); target.open(); });
    return a;
  }

  function element(tag, text) {
    const el = document.createElement(tag);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function cells(row) {
    return row.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
  }

  const BLOCKS = [
    { re: /^\s*[-*+]\s+(.*)$/, tag: "ul" },
    { re: /^\s*\d+[.)]\s+(.*)$/, tag: "ol" },
  ];

  /** Markdown text → a fragment. Heading levels are shifted by `headingOffset` (default 2: # → h3).
   * With `lineParagraphs` every line is its own paragraph (an answer: one statement per line). */
  function render(markdown, cite, headingOffset, lineParagraphs) {
    const offset = headingOffset === undefined ? 2 : headingOffset;
    const out = document.createDocumentFragment();
    const lines = String(markdown || "").replace(/\r\n?/g, "\n").split("\n");
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      const list = BLOCKS.find((b) => b.re.test(line));
      if (!line.trim()) { i += 1; continue; }
      if (heading) {
        const level = Math.min(heading[1].length + offset, 6);
        const h = element("h" + level);
        h.append(inline(heading[2], cite));
        out.append(h);
        i += 1;
      } else if (/^\s*\|/.test(line)) {
        const rows = [];
        while (i < lines.length && /^\s*\|/.test(lines[i])) rows.push(lines[i++]);
        out.append(table(rows, cite));
      } else if (list) {
        const el = element(list.tag);
        while (i < lines.length && list.re.test(lines[i])) {
          const li = element("li");
          li.append(inline(list.re.exec(lines[i])[1], cite));
          el.append(li);
          i += 1;
        }
        out.append(el);
      } else {
        const para = [];
        while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|\s*\|)/.test(lines[i])
               && !BLOCKS.some((b) => b.re.test(lines[i]))) {
          para.push(lines[i++].trim());
          if (lineParagraphs) break;
        }
        const p = element("p");
        p.append(inline(para.join(" "), cite));
        out.append(p);
      }
    }
    return out;
  }

  function table(rows, cite) {
    const wrap = element("div");
    wrap.className = "table-wrap";
    const t = element("table");
    const separator = rows.length > 1 && /^\s*\|?\s*:?-{2,}/.test(rows[1]);
    const body = separator ? rows.slice(2) : rows;
    if (separator) {
      const tr = element("tr");
      cells(rows[0]).forEach((c) => { const th = element("th"); th.scope = "col"; th.append(inline(c, cite)); tr.append(th); });
      const thead = element("thead");
      thead.append(tr);
      t.append(thead);
    }
    const tbody = element("tbody");
    body.forEach((row) => {
      const tr = element("tr");
      cells(row).forEach((c) => { const td = element("td"); td.append(inline(c, cite)); tr.append(td); });
      tbody.append(tr);
    });
    t.append(tbody);
    wrap.append(t);
    return wrap;
  }

  global.KompetensMarkdown = { render: render, inline: inline };
})(window);
