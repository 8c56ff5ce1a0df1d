"""The report page's style sheet, inlined into every report (no network, no files)."""

CSS = """
:root {
  --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --paper: #ffffff; --back: #f5f7fa;
  --accent: #2563eb; --accent-soft: #e0e8fd; --warn: #b44d12; --warn-soft: #fff4e6;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--back); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header.top { background: #111827; color: #f9fafb; padding: 28px 0 24px; }
header.top h1 { margin: 0 0 4px; font-size: 26px; font-weight: 650; letter-spacing: -0.01em; }
header.top p { margin: 0; color: #cbd2d9; font-size: 14px; }
.wrap { max-width: 1080px; margin: 0 auto; padding: 0 28px; }
nav.toc { margin-top: 14px; display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; }
nav.toc a { color: #a5b4fc; text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 14px;
  margin: -18px 0 8px; }
.card { background: var(--paper); border-radius: 10px; padding: 14px 16px;
  box-shadow: 0 1px 3px rgba(15, 23, 42, .08), 0 1px 2px rgba(15, 23, 42, .04); }
.card .label { font-size: 12px; text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); }
.card .value { font-size: 22px; font-weight: 650; margin-top: 2px;
  font-variant-numeric: tabular-nums; }
.card .sub { font-size: 13px; color: var(--muted); }
section { background: var(--paper); border-radius: 10px; margin: 18px 0; padding: 20px 24px 22px;
  box-shadow: 0 1px 3px rgba(15, 23, 42, .08); }
section h2 { margin: 0 0 4px; font-size: 19px; font-weight: 650; }
section h3 { margin: 18px 0 6px; font-size: 15px; font-weight: 600; }
p.lead { margin: 0 0 14px; color: var(--muted); font-size: 14px; }
p.note { margin: 10px 0 0; padding: 8px 12px; border-radius: 6px; background: var(--warn-soft);
  color: var(--warn); font-size: 14px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 18px 28px;
  align-items: start; }
figure { margin: 6px 0 0; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  font-weight: 600; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
tbody tr:hover td { background: var(--accent-soft); }
td.config { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; color: var(--muted); }
table.facts th { width: 38%; text-transform: none; letter-spacing: 0; font-size: 14px;
  color: var(--ink); background: none; }
.meta { columns: 2 300px; column-gap: 28px; }
.meta .group { break-inside: avoid; margin-bottom: 12px; }
.meta h3 { margin-top: 6px; }
.bar { display: inline-block; height: 9px; border-radius: 5px; background: var(--accent);
  vertical-align: middle; margin-right: 8px; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 999px;
  background: var(--accent-soft); color: #1e40af; font-size: 12px; font-weight: 600; }
footer { color: var(--muted); font-size: 13px; padding: 8px 0 40px; }
"""
