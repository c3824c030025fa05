/// The status page served at `/`: one self-contained HTML document (style and script inline, no
/// external font, image or library: plant networks are offline). It reads `/api/status` every
/// second (with each meter's archive gaps), `/api/registers.csv` for units and the register map,
/// and `/api/trace` for the live traffic monitor; it never writes anything.
enum StatusPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>tembridge</title>
        <style>
        :root { --bg:#f4f5f7; --card:#fff; --ink:#1d2430; --dim:#667085; --line:#e3e6ea; --ok:#17803d; --bad:#c0362c; --accent:#1f5fa8; }
        * { box-sizing: border-box; }
        body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; background:var(--bg); color:var(--ink); }
        header { background:#1d2430; color:#fff; padding:10px 20px; display:flex; gap:24px; align-items:baseline; flex-wrap:wrap; }
        header h1 { font-size:18px; margin:0; letter-spacing:.5px; }
        header .facts { color:#c7ced8; font-size:13px; display:flex; gap:18px; flex-wrap:wrap; }
        header .facts b { color:#fff; font-weight:600; }
        main { padding:16px 20px; display:grid; gap:16px; grid-template-columns: minmax(0,1fr) minmax(0,1fr); }
        section.panel { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
        section.wide { grid-column: 1 / -1; }
        h2 { font-size:13px; text-transform:uppercase; letter-spacing:.8px; color:var(--dim); margin:0 0 8px; }
        table { border-collapse:collapse; width:100%; }
        th, td { text-align:left; padding:3px 8px 3px 0; border-bottom:1px solid var(--line); vertical-align:top; }
        th { font-weight:600; color:var(--dim); font-size:12px; }
        td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
        .meters { display:grid; gap:12px; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); }
        .values { max-height:230px; overflow:auto; border-top:1px solid var(--line); }
        .values table { table-layout:fixed; }
        .values td:first-child { width:55%; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
        .values td.unit { width:14%; }
        .meter { border:1px solid var(--line); border-radius:8px; padding:10px 12px; background:#fbfcfd; }
        .meter h3 { margin:0 0 4px; font-size:16px; display:flex; justify-content:space-between; align-items:center; }
        .state { font-size:12px; font-weight:700; padding:2px 8px; border-radius:10px; color:#fff; text-transform:uppercase; }
        .state[data-state=online] { background:var(--ok); }
        .state[data-state=stale] { background:var(--bad); }
        .meta { color:var(--dim); font-size:12px; margin-bottom:6px; }
        .gaps { color:var(--dim); font-size:12px; margin-bottom:6px; }
        .error { color:var(--bad); font-size:12px; margin:4px 0; word-break:break-word; }
        .unit { color:var(--dim); padding-left:4px; }
        .regs { height:222px; overflow:auto; }
        .regs h4 { margin:8px 0 4px; font-size:13px; }
        #trace { font:12px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; background:#10151d; color:#d5dde8; border-radius:6px; padding:8px; height:190px; overflow:auto; white-space:pre; }
        #trace .tx { color:#8cc8ff; } #trace .rx { color:#9be39b; } #trace .note { color:#ffb86b; }
        .tools { display:flex; gap:10px; align-items:center; margin-bottom:6px; font-size:12px; color:var(--dim); }
        button { font:inherit; padding:2px 10px; border:1px solid var(--line); background:#fff; border-radius:4px; cursor:pointer; }
        #conn[data-ok=false] { color:#ffb3ad; }
        @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
        </style>
        </head>
        <body>
        <header>
          <h1>tembridge</h1>
          <div class="facts">
            <span>version <b id="version">–</b></span>
            <span>started <b id="started">–</b></span>
            <span>Modbus connections <b id="connections">–</b></span>
            <span>requests <b id="requests">–</b></span>
            <span id="conn" data-ok="true">updated <b id="updated">–</b></span>
          </div>
        </header>
        <main>
          <section class="panel wide"><h2>Meters</h2><div class="meters" id="meters"></div></section>
          <section class="panel wide"><h2>Lines</h2>
            <table><thead><tr><th>line</th><th>endpoint</th><th class="num">exchanges ok</th><th class="num">failed</th></tr></thead>
            <tbody id="lines"></tbody></table>
          </section>
          <section class="panel"><h2>Traffic monitor</h2>
            <div class="tools"><button id="pause">pause</button><span id="tracestate">connecting…</span></div>
            <div id="trace"></div>
          </section>
          <section class="panel"><h2>Register map</h2><div class="regs" id="registers"></div></section>
        </main>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        const el = (tag, attrs, ...kids) => {
          const e = document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) {
            if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
          }
          for (const kid of kids) e.append(kid);
          return e;
        };
        let units = {};      // value name -> unit of measure, from the register table
        let registerRows = [];
        let order = {};      // meter -> value names in register order
        // The state when the page was served: rendered at once, then refreshed from the API.
        const initial = /*INITIAL*/null;

        // For people: at most 3 decimals (the exact number is in data-value and the tooltip).
        function show(v) {
          return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(3)));
        }
        function age(s) {
          if (s === null) return "never read";
          if (s < 120) return s.toFixed(1) + " s ago";
          if (s < 7200) return (s / 60).toFixed(1) + " min ago";
          return (s / 3600).toFixed(1) + " h ago";
        }
        // Missing archive periods by kind ("hourly 0 · daily 3 · monthly 0"), "—" without a store.
        function gapsText(g) {
          if (!g) return "—";
          const kinds = ["hourly", "daily", "monthly"].filter((k) => k in g);
          return kinds.length ? kinds.map((k) => k + " " + g[k]).join(" · ") : "—";
        }
        function parseCSV(text) {
          const rows = []; let row = [], field = "", quoted = false;
          for (let i = 0; i < text.length; i++) {
            const c = text[i];
            if (quoted) {
              if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
              else if (c === '"') quoted = false; else field += c;
            } else if (c === '"') quoted = true;
            else if (c === ",") { row.push(field); field = ""; }
            else if (c === "\r") {}
            else if (c === "\n") { row.push(field); rows.push(row); row = []; field = ""; }
            else field += c;
          }
          if (field !== "" || row.length) { row.push(field); rows.push(row); }
          return rows;
        }
        // The register table names raw entries "raw 0x0200 f32"; values name them "raw.0x0200".
        const valueKey = (name) => name.startsWith("raw ") ? "raw." + name.split(" ")[1] : name;

        async function loadRegisters() {
          const r = await fetch("/api/registers.csv", { cache: "no-store" });
          showRegisters(await r.text());
        }
        function showRegisters(csv) {
          const rows = parseCSV(csv);
          const head = rows.shift() || [];
          const col = (n) => head.indexOf(n);
          registerRows = rows.filter((r) => r.length === head.length);
          units = {}; order = {};
          for (const row of registerRows) {
            const key = valueKey(row[col("value")]), meter = row[col("meter")];
            units[key] = row[col("uom")];
            if (!order[meter]) order[meter] = [];
            if (!order[meter].includes(key)) order[meter].push(key);
          }
          const byUnit = new Map();
          for (const row of registerRows) {
            const u = row[col("unit_id")];
            if (!byUnit.has(u)) byUnit.set(u, []);
            byUnit.get(u).push(row);
          }
          const box = $("registers"); box.replaceChildren();
          for (const [u, list] of byUnit) {
            box.append(el("h4", { text: "unit id " + u + " — " + list[0][col("meter")] }));
            const body = el("tbody");
            for (const row of list) body.append(el("tr", {},
              el("td", { class: "num", text: row[col("address")] }), el("td", { class: "num", text: row[col("address_4x")] }),
              el("td", { text: row[col("type")] + (row[col("scale")] && row[col("scale")] !== "1" ? " ×" + row[col("scale")] : "") }),
              el("td", { text: row[col("value")] }), el("td", { text: row[col("uom")] })));
            box.append(el("table", {}, el("thead", {}, el("tr", {}, el("th", { class: "num", text: "address" }),
              el("th", { class: "num", text: "4x" }), el("th", { text: "type" }), el("th", { text: "value" }), el("th", { text: "unit" }))), body));
          }
        }

        function renderMeter(m) {
          const online = m.online;
          const values = el("tbody");
          // In register order (the map's), then any the table does not list.
          const names = (order[m.name] || []).filter((n) => n in m.values);
          for (const name of Object.keys(m.values).sort()) if (!names.includes(name)) names.push(name);
          for (const name of names) {
            const v = m.values[name];
            values.append(el("tr", {}, el("td", { text: name, title: name }),
              el("td", { class: "num value", "data-name": name, "data-value": String(v), title: String(v), text: show(v) }),
              el("td", { class: "unit", text: units[name] || "" })));
          }
          const card = el("div", { class: "meter", "data-meter": m.name },
            el("h3", {}, el("span", { class: "name", text: m.name }),
              el("span", { class: "state", "data-state": online ? "online" : "stale", text: online ? "online" : "stale" })),
            el("div", { class: "meta", text: "line " + m.line + " · address " + m.address + " · unit id " + m.unit_ids.join(", ") +
              " · data " + age(m.age_seconds) + " · polls " + m.polls_ok + " ok / " + m.polls_failed + " failed" }));
          card.append(el("div", { class: "gaps", "data-gaps": gapsText(m.gaps), text: "archive gaps: " + gapsText(m.gaps) }));
          if (m.last_error) card.append(el("div", { class: "error", text: (online ? "last error: " : "error: ") + m.last_error }));
          card.append(el("div", { class: "values" }, el("table", {}, values)));
          return card;
        }

        async function refresh() {
          try {
            const r = await fetch("/api/status", { cache: "no-store" });
            showStatus(await r.json());
            $("updated").textContent = new Date().toLocaleTimeString();
            $("conn").dataset.ok = "true";
          } catch (e) {
            $("conn").dataset.ok = "false";
            $("updated").textContent = "tembridge not answering";
          }
        }
        function showStatus(s) {
            $("version").textContent = s.version;
            $("started").textContent = s.started.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
            $("connections").textContent = s.modbus.connections;
            $("requests").textContent = s.modbus.requests;
            // Keep where each meter's value list was scrolled to.
            const scrolled = {};
            for (const v of document.querySelectorAll(".meter .values")) scrolled[v.parentElement.dataset.meter] = v.scrollTop;
            $("meters").replaceChildren(...s.meters.map(renderMeter));
            for (const v of document.querySelectorAll(".meter .values")) v.scrollTop = scrolled[v.parentElement.dataset.meter] || 0;
            $("lines").replaceChildren(...s.lines.map((l) => el("tr", {}, el("td", { text: l.name }), el("td", { text: l.endpoint }),
              el("td", { class: "num", text: l.exchanges_ok }), el("td", { class: "num", text: l.exchanges_failed }))));
        }

        let paused = false;
        $("pause").onclick = () => { paused = !paused; $("pause").textContent = paused ? "resume" : "pause"; };
        function traceLine(cls, text) {
          if (paused) return;
          const box = $("trace");
          const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
          box.append(el("div", { class: cls, text }));
          while (box.childElementCount > 400) box.firstElementChild.remove();
          if (atEnd) box.scrollTop = box.scrollHeight;
        }
        function traceFrame(f) {
          traceLine(f.direction, f.time.slice(11, 23) + (f.direction === "tx" ? " → " : " ← ") + f.line +
            (f.meter ? " " + f.meter : "") + "  " + f.hex);
        }
        function startTrace() {
          const source = new EventSource("/api/trace");
          source.onopen = () => { $("tracestate").textContent = "live"; };
          source.onerror = () => { $("tracestate").textContent = "reconnecting…"; };
          source.onmessage = (e) => traceFrame(JSON.parse(e.data));
          source.addEventListener("dropped", (e) => {
            const d = JSON.parse(e.data);
            traceLine("note", "… " + d.dropped + " frame(s) not shown: this page reads too slowly");
          });
        }

        if (initial) {
          showRegisters(initial.registers);
          showStatus(initial.status);
          $("updated").textContent = new Date().toLocaleTimeString();
          initial.trace.forEach(traceFrame);
        } else {
          loadRegisters().catch(() => {}).then(refresh);
        }
        setInterval(refresh, 1000);
        setInterval(() => loadRegisters().catch(() => {}), 30000);
        startTrace();
        </script>
        </body>
        </html>
        """#
}
