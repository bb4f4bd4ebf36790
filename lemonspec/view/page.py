"""One self-contained HTML page for a run trace or a `lemonc bench` results file.

Everything is inline (CSS, JS, SVG) and nothing is fetched: the page's Content-Security-Policy
allows no network at all, and only this module's own script and style (by hash), so even a
reply that slipped past escaping could not run. Every piece of text from the file passes
through `html.escape`; the script only toggles `hidden` and classes, never writes HTML.
tests/view/test_browser.py opens the page in headless chromium with hostile replies.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from lemonspec.view.model import AgentView, RunView, layers

STATUS_WORDS = {"ok": "done", "cached": "cached", "failed": "failed", "skipped": "skipped",
                "running": "no end recorded", "waiting": "never started"}

STYLE = """
:root { --ok:#2e7d32; --cached:#00838f; --failed:#c62828; --skipped:#757575;
        --running:#ef6c00; --waiting:#9e9e9e; --ink:#1f2328; --muted:#57606a; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--ink); margin: 0; background: #f6f8fa; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 12px 20px; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 18px 0 8px; }
main { padding: 8px 20px 40px; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 18px; color: var(--muted); }
.facts b { color: var(--ink); font-weight: 600; }
.problems { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px;
            padding: 8px 12px; margin: 10px 0; }
.problems li { margin: 2px 0; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px;
         overflow-x: auto; }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
svg .node { cursor: pointer; }
svg .node rect { fill: #fff; stroke-width: 2; }
svg .node:hover rect, svg .node.selected rect { fill: #eef6ff; }
svg .node .name { font-weight: 600; font-size: 13px; }
svg .node .sub { fill: var(--muted); font-size: 11px; }
svg .edge { fill: none; stroke: #8c959f; stroke-width: 1.5; }
svg .arrow { fill: #8c959f; }
svg .bar { cursor: pointer; }
svg .axis { stroke: var(--line); }
.st-ok rect, rect.st-ok { stroke: var(--ok); } .bar.st-ok { fill: var(--ok); }
.st-cached rect { stroke: var(--cached); } .bar.st-cached { fill: var(--cached); }
.st-failed rect { stroke: var(--failed); } .bar.st-failed { fill: var(--failed); }
.st-skipped rect { stroke: var(--skipped); stroke-dasharray: 4 3; } .bar.st-skipped { fill: var(--skipped); }
.st-running rect { stroke: var(--running); } .bar.st-running { fill: var(--running); }
.st-waiting rect { stroke: var(--waiting); stroke-dasharray: 2 3; } .bar.st-waiting { fill: var(--waiting); }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; color: #fff; font-size: 12px; }
.badge.st-ok { background: var(--ok); } .badge.st-cached { background: var(--cached); }
.badge.st-failed { background: var(--failed); } .badge.st-skipped { background: var(--skipped); }
.badge.st-running { background: var(--running); } .badge.st-waiting { background: var(--waiting); }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.items td:first-child { white-space: nowrap; }
tr.pick { cursor: pointer; } tr.pick:hover { background: #eef6ff; }
pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; border: 1px solid var(--line);
      border-radius: 6px; padding: 8px; margin: 4px 0 10px; max-height: 420px; overflow: auto; }
.detail h3 { margin: 4px 0 8px; font-size: 15px; }
.msg-role { font-weight: 600; color: var(--muted); text-transform: uppercase; font-size: 11px; }
.hint { color: var(--muted); }
.filters button { border: 1px solid var(--line); background: #fff; border-radius: 6px;
                  padding: 3px 10px; margin-right: 6px; cursor: pointer; }
.filters button.on { background: #0969da; color: #fff; border-color: #0969da; }
.yes { color: var(--ok); font-weight: 600; } .no { color: var(--failed); font-weight: 600; }
select { font: inherit; }
"""

# The script only shows, hides and marks elements that the page already holds.
SCRIPT = """
(function () {
  function pick(run, name) {
    run.querySelectorAll("[data-agent]").forEach(function (el) {
      var mine = el.getAttribute("data-agent") === name;
      if (el.classList.contains("detail")) { el.hidden = !mine; }
      else { el.classList.toggle("selected", mine); }
    });
    var hint = run.querySelector(".pick-hint");
    if (hint) { hint.hidden = true; }
  }
  document.querySelectorAll("section.run").forEach(function (run) {
    run.querySelectorAll(".node, .bar, tr.pick").forEach(function (el) {
      var go = function () { pick(run, el.getAttribute("data-agent")); };
      el.addEventListener("click", go);
      el.addEventListener("keydown", function (e) { if (e.key === "Enter") { go(); } });
    });
  });
  var chooser = document.getElementById("run-choice");
  if (chooser) {
    chooser.addEventListener("change", function () {
      document.querySelectorAll("section.run").forEach(function (run) {
        run.hidden = run.id !== chooser.value;
      });
    });
  }
  var filters = document.querySelectorAll(".filters button");
  filters.forEach(function (button) {
    button.addEventListener("click", function () {
      var want = button.getAttribute("data-filter");
      filters.forEach(function (b) { b.classList.toggle("on", b === button); });
      var shown = 0;
      document.querySelectorAll("tr.item").forEach(function (row) {
        var hide = want !== "all" && row.getAttribute("data-correct") !== want;
        row.hidden = hide;
        if (!hide) { shown += 1; }
        var more = row.nextElementSibling;
        if (more && more.classList.contains("more") && hide) { more.hidden = true; }
      });
      document.getElementById("shown").textContent = String(shown);
    });
  });
  document.querySelectorAll("tr.item").forEach(function (row) {
    row.addEventListener("click", function () {
      var more = row.nextElementSibling;
      if (more && more.classList.contains("more")) { more.hidden = !more.hidden; }
    });
  });
  // page.html#agent=NAME opens with that agent picked in the run shown.
  var wanted = /^#agent=(.*)$/.exec(window.location.hash);
  var shown = document.querySelector("section.run:not([hidden])");
  if (wanted && shown) { pick(shown, decodeURIComponent(wanted[1])); }
  // bench.html#filter=no opens showing only the wrong items (yes: the correct ones).
  var filter = /^#filter=(all|yes|no)$/.exec(window.location.hash);
  filters.forEach(function (b) {
    if (filter && b.getAttribute("data-filter") === filter[1]) { b.click(); }
  });
  document.documentElement.setAttribute("data-ready", "yes");
})();
"""


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _document(title: str, body: str) -> str:
    policy = (f"default-src 'none'; style-src {_hash(STYLE)}; script-src {_hash(SCRIPT)}; "
              "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{STYLE}</style></head>\n<body>\n{body}\n"
            f"<script>{SCRIPT}</script>\n</body></html>\n")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f} s"


def _tokens(a: int | None, b: int | None) -> str:
    return "?" if a is None or b is None else f"{a + b:,}"


def _cost(value: float | None) -> str:
    return "?" if value is None else f"${value:.6f}".rstrip("0").rstrip(".") if value else "$0"


# ---- a run trace ----


def trace_page(runs: list[RunView], problems: list[str], source: str) -> str:
    """The page for every run of a trace; the last run is shown first."""
    chooser = ""
    if len(runs) > 1:
        options = "".join(
            f'<option value="run-{i}"{" selected" if i == len(runs) - 1 else ""}>'
            f"{_e(run.team)} · {_e(run.run_id)}</option>" for i, run in enumerate(runs))
        chooser = (f'<p><label>{len(runs)} runs in this trace: <select id="run-choice">'
                   f"{options}</select></label></p>")
    sections = "\n".join(_run_section(run, i, hidden=i != len(runs) - 1)
                         for i, run in enumerate(runs))
    header = (f"<header><h1>lemonspec trace</h1><div class=\"facts\"><span>file <b>"
              f"{_e(source)}</b></span></div>{chooser}{_problems(problems)}</header>")
    title = f"{runs[-1].team} — lemonspec trace"
    return _document(title, f"{header}\n<main>{sections}</main>")


def _problems(problems) -> str:
    if not problems:
        return ""
    items = "".join(f"<li>{_e(p)}</li>" for p in problems)
    return f'<div class="problems" role="note"><b>Missing from this trace:</b><ul>{items}</ul></div>'


def _run_section(run: RunView, index: int, hidden: bool) -> str:
    state = {True: '<span class="badge st-ok">ok</span>',
             False: '<span class="badge st-failed">an agent failed</span>',
             None: '<span class="badge st-running">unfinished</span>'}[run.ok]
    facts = [("team", run.team), ("run", run.run_id), ("profile", run.profile or "?"),
             ("time", _seconds(run.seconds)),
             ("tokens", _tokens(run.prompt_tokens, run.completion_tokens)),
             ("cost", _cost(run.cost)), ("agents", str(len(run.agents)))]
    fact_html = "".join(f"<span>{name} <b>{_e(value)}</b></span>" for name, value in facts)
    answer = "" if run.answer is None else f"<h2>Answer</h2><pre class=\"answer\">{_e(run.answer)}</pre>"
    task = ("" if run.task_input is None else
            f"<details><summary>Task input</summary><pre>{_e(run.task_input)}</pre></details>")
    details = "\n".join(_agent_detail(a) for a in run.agents)
    return (f'<section class="run" id="run-{index}" data-team="{_e(run.team)}"'
            f'{" hidden" if hidden else ""}>\n'
            f'<h2>Team {_e(run.team)} {state}</h2><div class="facts">{fact_html}</div>'
            f"{_problems(run.problems)}{task}{answer}"
            f'<h2>Team graph <span class="hint">(click an agent)</span></h2>'
            f'<div class="panel">{_graph(run)}</div>'
            f'<h2>Timeline <span class="hint">(seconds since the run started; bars that '
            f"overlap ran at the same time)</span></h2>"
            f'<div class="panel">{_timeline(run)}</div>'
            f"<h2>Agents</h2>{_agent_table(run)}"
            f'<h2>Agent</h2><p class="hint pick-hint">Click an agent in the graph, timeline '
            f"or table to see its messages and answer.</p>{details}</section>")


NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 210, 64, 70, 18, 12


def _graph(run: RunView) -> str:
    grouped = _untangled(layers(run.agents))
    where: dict[str, tuple[float, float]] = {}
    for column, layer in enumerate(grouped):
        for row, agent in enumerate(layer):
            where[agent.name] = (PAD + column * (NODE_W + GAP_X), PAD + row * (NODE_H + GAP_Y))
    width = PAD * 2 + max(len(grouped), 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max((len(layer) for layer in grouped), default=1) * (NODE_H + GAP_Y) - GAP_Y
    edges = []
    for agent in run.agents:
        for parent in dict.fromkeys(agent.after):
            if parent not in where:
                continue
            (x1, y1), (x2, y2) = where[parent], where[agent.name]
            x1, y1, x2, y2 = x1 + NODE_W, y1 + NODE_H / 2, x2 - 6, y2 + NODE_H / 2
            bend = max(30.0, (x2 - x1) / 2)
            edges.append(f'<path class="edge" marker-end="url(#arrow-{_e(run.run_id)})" '
                         f'd="M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},'
                         f'{y2:.0f} {x2:.0f},{y2:.0f}"><title>{_e(parent)} → '
                         f"{_e(agent.name)}</title></path>")
    nodes = []
    for agent in run.agents:
        x, y = where[agent.name]
        model = agent.model or "model ?"
        model = model if len(model) <= 30 else model[:29] + "…"
        name = agent.name if len(agent.name) <= 24 else agent.name[:23] + "…"
        numbers = (f"{STATUS_WORDS[agent.status]} · {_seconds(agent.seconds)} · "
                   f"{_tokens(agent.prompt_tokens, agent.completion_tokens)} tok · "
                   f"{_cost(agent.cost)}")
        nodes.append(
            f'<g class="node st-{agent.status}" data-agent="{_e(agent.name)}" tabindex="0" '
            f'transform="translate({x:.0f},{y:.0f})"><title>{_e(agent.name)}: '
            f"{_e(STATUS_WORDS[agent.status])}</title>"
            f'<rect width="{NODE_W}" height="{NODE_H}" rx="8"/>'
            f'<text class="name" x="10" y="19">{_e(name)}'
            f'{f" ({_e(agent.capacity)})" if agent.capacity else ""}</text>'
            f'<text class="sub" x="10" y="37">{_e(model)}</text>'
            f'<text class="sub" x="10" y="54">{_e(numbers)}</text></g>')
    marker = (f'<defs><marker id="arrow-{_e(run.run_id)}" viewBox="0 0 10 10" refX="9" '
              f'refY="5" markerWidth="7" markerHeight="7" orient="auto"><path class="arrow" '
              f'd="M0,0 L10,5 L0,10 z"/></marker></defs>')
    return (f'<svg class="graph" role="img" aria-label="team graph" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}">{marker}{"".join(edges)}'
            f'{"".join(nodes)}</svg>')


def _untangled(grouped: list[list[AgentView]]) -> list[list[AgentView]]:
    """Each layer ordered by the mean row of its agents' parents (the barycenter heuristic),
    which removes most edge crossings; ties keep the declaration order."""
    row: dict[str, int] = {a.name: i for i, a in enumerate(grouped[0])} if grouped else {}
    ordered = grouped[:1]
    for layer in grouped[1:]:
        def centre(agent: AgentView, index: int) -> tuple[float, int]:
            rows = [row[p] for p in agent.after if p in row]
            return (sum(rows) / len(rows) if rows else float(index), index)

        layer = [a for _, a in sorted(((centre(a, i), a) for i, a in enumerate(layer)),
                                      key=lambda pair: pair[0])]
        row.update({a.name: i for i, a in enumerate(layer)})
        ordered.append(layer)
    return ordered


ROW_H, LABEL_W, PLOT_W = 24, 170, 640


def _timeline(run: RunView) -> str:
    ends = [a.finished for a in run.agents if a.finished is not None]
    total = max([run.seconds or 0.0, *ends, 1e-9])
    scale = PLOT_W / total
    height = ROW_H * len(run.agents) + 30
    ticks = []
    for i in range(6):
        at = total * i / 5
        x = LABEL_W + at * scale
        ticks.append(f'<line class="axis" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}"/>'
                     f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">{at:.2f}</text>')
    rows = []
    for i, agent in enumerate(run.agents):
        y = i * ROW_H + 4
        rows.append(f'<text x="{LABEL_W - 8}" y="{y + 13}" text-anchor="end">'
                    f"{_e(agent.name[:22])}</text>")
        if agent.started is None:
            continue
        end = agent.finished if agent.finished is not None else total
        width = max(2.0, (end - agent.started) * scale)
        rows.append(f'<rect class="bar st-{agent.status}" data-agent="{_e(agent.name)}" '
                    f'x="{LABEL_W + agent.started * scale:.1f}" y="{y}" width="{width:.1f}" '
                    f'height="{ROW_H - 8}" rx="3"><title>{_e(agent.name)}: '
                    f"{agent.started:.2f}–{end:.2f} s</title></rect>")
    return (f'<svg class="timeline" role="img" aria-label="timeline" width="{LABEL_W + PLOT_W + 20}" '
            f'height="{height}">{"".join(ticks)}{"".join(rows)}</svg>')


def _agent_table(run: RunView) -> str:
    head = ("<tr><th>agent</th><th>status</th><th>capacity</th><th>model</th>"
            '<th class="num">seconds</th><th class="num">tokens in</th>'
            '<th class="num">tokens out</th><th class="num">cost</th><th>after</th></tr>')
    rows = "".join(
        f'<tr class="pick" data-agent="{_e(a.name)}" tabindex="0"><td>{_e(a.name)}</td>'
        f'<td><span class="badge st-{a.status}">{_e(STATUS_WORDS[a.status])}</span></td>'
        f"<td>{_e(a.capacity or '?')}</td><td>{_e(a.model or '?')}</td>"
        f'<td class="num">{_e(_seconds(a.seconds))}</td>'
        f'<td class="num">{_e("?" if a.prompt_tokens is None else a.prompt_tokens)}</td>'
        f'<td class="num">{_e("?" if a.completion_tokens is None else a.completion_tokens)}</td>'
        f'<td class="num">{_e(_cost(a.cost))}</td><td>{_e(", ".join(a.after) or "—")}</td></tr>'
        for a in run.agents)
    return f'<table class="agents">{head}{rows}</table>'


def _agent_detail(agent: AgentView) -> str:
    attempts = "?" if agent.attempts is None else agent.attempts
    parts = [(f'<h3>{_e(agent.name)} <span class="badge st-{agent.status}">'
              f"{_e(STATUS_WORDS[agent.status])}</span></h3>"),
             (f'<div class="facts"><span>model <b>{_e(agent.model or "?")}</b></span>'
              f"<span>attempts <b>{_e(attempts)}</b></span>"
              f"<span>after <b>{_e(', '.join(agent.after) or 'none')}</b></span></div>")]
    if agent.error:
        parts.append(f'<h4>Error</h4><pre class="error">{_e(agent.error)}</pre>')
    if agent.messages:
        parts.append("<h4>Messages</h4>")
        for message in agent.messages:
            parts.append(f'<div class="msg-role">{_e(message.get("role", "?"))}</div>'
                         f"<pre>{_e(_content(message.get('content')))}</pre>")
    elif agent.status in ("cached", "ok"):
        parts.append('<p class="hint">No model request recorded (a cached or replayed answer).</p>')
    if agent.output is not None:
        parts.append(f'<h4>Answer</h4><pre class="output">{_e(agent.output)}</pre>')
    return (f'<div class="detail panel" data-agent="{_e(agent.name)}" hidden>'
            f'{"".join(parts)}</div>')


def _content(content: Any) -> str:
    if isinstance(content, str):
        return content
    return json.dumps(content, ensure_ascii=False, indent=2, default=str)


# ---- a bench results file ----


def bench_page(header: Mapping[str, Any], items: Sequence[Mapping[str, Any]], summary,
               source: str, problems: list[str]) -> str:
    key = header.get("key") or {}
    correct = sum(1 for item in items if item.get("correct") is True)
    facts = [("team", key.get("team")), ("dataset", key.get("dataset")),
             ("split", key.get("split")), ("seed", key.get("seed")),
             ("profile", key.get("profile")),
             ("models", ", ".join(f"{k}: {v}" for k, v in (key.get("models") or {}).items())),
             ("items", len(items)), ("correct", correct)]
    if summary is not None:
        facts += [("accuracy", (f"{summary.accuracy:.1%} (95% CI {summary.ci_low:.1%}–"
                                f"{summary.ci_high:.1%})")),
                  ("cost/item", _cost(summary.cost_per_item)),
                  ("seconds/item", f"{summary.seconds_per_item:.2f}")]
    fact_html = "".join(f"<span>{_e(name)} <b>{_e(value)}</b></span>" for name, value in facts)
    head = ('<tr><th>item</th><th>correct</th><th>answer</th><th>gold</th>'
            '<th class="num">tokens</th><th class="num">cost</th><th class="num">seconds</th>'
            "<th>error</th></tr>")
    rows = []
    for item in items:
        verdict = item.get("correct") is True
        outputs = item.get("outputs") if isinstance(item.get("outputs"), dict) else {}
        more = "".join(f"<div class=\"msg-role\">{_e(name)}</div><pre>{_e(text)}</pre>"
                       for name, text in outputs.items())
        why = f"<p>{_e(item.get('why'))}</p>" if item.get("why") else ""
        rows.append(
            f'<tr class="item pick" data-correct="{"yes" if verdict else "no"}" '
            f'data-id="{_e(item.get("id"))}"><td>{_e(item.get("id"))}</td>'
            f'<td class="{"yes" if verdict else "no"}">{"✓" if verdict else "✗"}</td>'
            f"<td>{_e(_short(item.get('answer')))}</td><td>{_e(_short(item.get('gold')))}</td>"
            f'<td class="num">{_e(item.get("tokens") if item.get("tokens") is not None else "?")}</td>'
            f'<td class="num">{_e(_cost(item.get("cost") if isinstance(item.get("cost"), (int, float)) else None))}</td>'
            f'<td class="num">{_e(item.get("seconds"))}</td><td>{_e(_short(item.get("error")))}</td></tr>'
            f'<tr class="more" hidden><td colspan="8">{why}{more or "<p class=hint>no outputs recorded</p>"}</td></tr>')
    filters = (f'<p class="filters"><button data-filter="all" class="on">all ({len(items)})</button>'
               f'<button data-filter="yes">correct ({correct})</button>'
               f'<button data-filter="no">wrong ({len(items) - correct})</button>'
               f'showing <b id="shown">{len(items)}</b> · click a row for its outputs</p>')
    body = (f"<header><h1>lemonc bench results</h1><div class=\"facts\"><span>file <b>"
            f"{_e(source)}</b></span>{fact_html}</div>{_problems(problems)}</header>"
            f'<main>{filters}<table class="items">{head}{"".join(rows)}</table></main>')
    return _document(f"{key.get('team', 'bench')} — lemonc bench", body)


def _short(value: Any, limit: int = 160) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
