#!/usr/bin/env python3
"""Checks deploy/grafana/tembridge.json and deploy/prometheus/tembridge.rules.yml against the
metrics docs/CONSOLE.md documents: every tembridge_* family they use is in its metrics table,
every documented family is on the dashboard, every dashboard query is valid PromQL (promtool
checks them as recording rules), and Tests/Package/rules.test.yml tests every alert both firing
and quiet. Exit 1 with one line per problem."""
import json
import os
import re
import subprocess
import sys
import tempfile

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
problems = []

console = open(os.path.join(top, "docs", "CONSOLE.md"), encoding="utf-8").read()
documented = set(re.findall(r"^\| `(tembridge_[a-z0-9_]+)` \|", console, re.M))
if len(documented) < 5:
    problems.append(f"docs/CONSOLE.md: found only {len(documented)} metric families in the table")


def families(expr):
    names = set()
    for name in re.findall(r"\btembridge_[a-z0-9_]+", expr):
        names.add(re.sub(r"_(bucket|sum|count)$", "", name) if name not in documented else name)
    return names


dashboard_path = os.path.join(top, "deploy", "grafana", "tembridge.json")
dashboard = json.load(open(dashboard_path, encoding="utf-8"))
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
exprs_vars = [v["query"]["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
used = set()
for expr in exprs + exprs_vars:
    for name in families(expr):
        used.add(name)
        if name not in documented:
            problems.append(f"deploy/grafana/tembridge.json: {name} is not a metric in docs/CONSOLE.md")
for name in sorted(documented - used):
    problems.append(f"deploy/grafana/tembridge.json: no panel shows {name}")
ids = [p["id"] for p in dashboard["panels"]]
if len(ids) != len(set(ids)):
    problems.append("deploy/grafana/tembridge.json: panel ids repeat")

rules_path = os.path.join(top, "deploy", "prometheus", "tembridge.rules.yml")
for name in sorted(families(open(rules_path, encoding="utf-8").read())):
    if name not in documented:
        problems.append(f"deploy/prometheus/tembridge.rules.yml: {name} is not a metric in docs/CONSOLE.md")

# Every alert has a promtool test case where it fires and one where it stays quiet.
alerts = re.findall(r"^\s*- alert: (\w+)", open(rules_path, encoding="utf-8").read(), re.M)
cases = re.findall(
    r"alertname: (\w+)\n\s*exp_alerts:(.*)",
    open(os.path.join(top, "Tests", "Package", "rules.test.yml"), encoding="utf-8").read())
for alert in alerts:
    kinds = {"quiet" if rest.strip() == "[]" else "firing" for name, rest in cases if name == alert}
    for kind in sorted({"firing", "quiet"} - kinds):
        problems.append(f"Tests/Package/rules.test.yml: no case where {alert} is {kind}")
if not alerts:
    problems.append("deploy/prometheus/tembridge.rules.yml: no alerts found")

# Dashboard queries as recording rules: promtool parses each one (Grafana's $variables replaced).
with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, expr in enumerate(exprs):
        plain = expr.replace("$instance", ".*").replace("$meter", ".*").replace("$value", ".*")
        f.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(plain)}\n")
    path = f.name
result = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
os.unlink(path)
if result.returncode != 0:
    problems.append("deploy/grafana/tembridge.json: promtool rejects a query: " + (result.stdout + result.stderr).strip().replace("\n", " "))

for p in problems:
    print(p)
print(
    f"monitoring: {len(exprs)} dashboard queries, {len(used)} metric families, "
    f"{len(alerts)} alerts tested, {len(problems)} problems")
sys.exit(1 if problems else 0)
