#!/usr/bin/env python3
"""The README's benchmark table, from the outputs of one `just bench` run.

Reads what the benches of this run left behind:
  - criterion estimates under $CARGO_TARGET_DIR/criterion/**/new/estimates.json
    (limiter check, condition evaluations);
  - build/bench/*.json written by the other benches (audit ingestion,
    moderation, WebSocket fan-out, behavior, the load test);
  - /tmp/warden-bench-*.txt written by scripts/bench-http.sh (wrk, pgbench);
and rewrites the README between `<!-- bench:begin -->` and `<!-- bench:end -->`
in the `## Benchmarks` section: each figure beside its goal and its baseline
measured in the same run.

An input older than BENCH_STARTED (seconds since the epoch; `just bench` sets
it) is from an earlier run and is reported as not measured, never mixed in.

    python3 scripts/bench-report.py [--readme README.md] [--dry-run]
"""

import argparse
import datetime
import json
import os
import platform
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/warden-target")
OUT = os.environ.get("BENCH_OUT_DIR", os.path.join(ROOT, "build", "bench"))
STARTED = float(os.environ.get("BENCH_STARTED", "0"))
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

# Every goal, in one place: the issue that set it, and how to judge a figure.
# `None` as a check means the issue asks for the figure but sets no target.
GOALS = {
    "rls_read": ("none set; issue 2 asks for it beside pgbench", None),
    "limiter_overhead": ("none set; issue 3 asks for the rate with and without", None),
    "audit_overhead": ("none set; issue 4 asks for the rate with and without", None),
    "limiter_check": ("≤ 100 ns in process (issue 3)", lambda ns: ns <= 100),
    "limiter_redis": ("one round trip (issue 3)", None),
    "ingest": ("≥ 100,000 events/s on 2 cores (issue 4)", lambda r: r >= 100_000),
    "fanout": ("p99 < 100 ms at 10,000 sockets (issue 4)", lambda p99: p99 < 100),
    "analyze": ("≥ 95% of raw ONNX Runtime (issue 5)", lambda pct: pct >= 95),
    "create_latency": ("none set; issue 5 asks for p50/p99", None),
    "conditions": ("≥ 1,000,000/s per core, 100 patterns (issue 6)", lambda r: r >= 1_000_000),
    "detection_latency": ("none set; issue 6 asks for it", None),
    "load_rate": ("≥ 99% of the target rate (ours: the server keeps up)", lambda ratio: ratio >= 0.99),
    "load_latency": ("none set; issue 10 asks for p50/p99", None),
    "load_5xx": ("0 (ours: a load must not break requests)", lambda n: n == 0),
    "load_audit": ("0 lost (issue 10)", lambda lost: lost == 0),
    # The issue says "memory flat"; the 10% is our reading of flat.
    "load_memory": ("flat: last ≤ 1.1 × after warm-up (issue 10)", lambda ratio: ratio <= 1.10),
}

NOT_RUN = "not measured in this run"


def fresh(path):
    return os.path.exists(path) and os.path.getmtime(path) >= STARTED


def read_json(name):
    path = os.path.join(OUT, f"{name}.json")
    if not fresh(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def criterion_ns(bench_id):
    """Time per iteration (ns) of a criterion bench: the slope estimate when
    criterion fitted one, else the mean."""
    path = os.path.join(TARGET, "criterion", bench_id, "new", "estimates.json")
    if not fresh(path):
        return None
    with open(path, encoding="utf-8") as f:
        est = json.load(f)
    best = est.get("slope") or est.get("mean")
    return best["point_estimate"] if best else None


def wrk_rate(label):
    path = f"/tmp/warden-bench-wrk-{label}.txt"
    if not fresh(path):
        return None
    with open(path, encoding="utf-8") as f:
        m = re.search(r"Requests/sec:\s+([\d.]+)", f.read())
    return float(m.group(1)) if m else None


def pgbench_tps():
    path = "/tmp/warden-bench-pgbench.txt"
    if not fresh(path):
        return None
    with open(path, encoding="utf-8") as f:
        m = re.search(r"^tps = ([\d.]+)", f.read(), re.M)
    return float(m.group(1)) if m else None


def n(x, digits=0):
    return f"{x:,.{digits}f}"


def met(goal_key, value):
    text, check = GOALS[goal_key]
    if check is None:
        return text, "—"
    if value is None:
        return text, "—"
    return text, "yes" if check(value) else "**no**"


def rows():
    out = []

    def add(figure, goal_key, measured, baseline, value):
        goal, ok = met(goal_key, value)
        out.append((figure, goal, measured if measured is not None else NOT_RUN, baseline or "—", ok))

    # HTTP read path (scripts/bench-http.sh).
    tps = pgbench_tps()
    memory, off, no_audit, redis = (wrk_rate(x) for x in ("limiter-memory", "limiter-off", "audit-off", "limiter-redis"))
    pg = f"pgbench, same transaction as the runtime role: {n(tps)} tps" if tps else None
    add("RLS read path: `GET /products/{id}` through the stack, wrk 32 connections",
        "rls_read",
        f"{n(memory)} req/s ({memory / tps:.0%} of pgbench)" if memory and tps else (f"{n(memory)} req/s" if memory else None),
        pg, None)
    add("Rate-limit middleware: the same route, limiter in process",
        "limiter_overhead",
        f"{n(memory)} req/s ({memory / off:.0%} of limiter off)" if memory and off else None,
        f"limiter off: {n(off)} req/s" if off else None, None)
    if redis:
        add("Rate-limit middleware: the same route, limiter in Redis",
            "limiter_overhead",
            f"{n(redis)} req/s ({redis / off:.0%} of limiter off)" if off else f"{n(redis)} req/s",
            f"limiter off: {n(off)} req/s" if off else None, None)
    add("Activity middleware: the same route, activity log on",
        "audit_overhead",
        f"{n(memory)} req/s ({memory / no_audit:.0%} of log off)" if memory and no_audit else None,
        f"activity log off: {n(no_audit)} req/s" if no_audit else None, None)

    # Limiter check (criterion, crates/quotas/benches/limiter.rs).
    check = criterion_ns("memory_store_check_1000_tenants")
    gcra = criterion_ns("gcra_check_3_windows")
    add("Limiter check, in process (1,000 tenants, 3 windows)", "limiter_check",
        f"{check:.0f} ns" if check else None,
        f"the GCRA arithmetic alone: {gcra:.0f} ns" if gcra else None, check)
    redis_check = criterion_ns("redis_store_check_one_round_trip")
    add("Limiter check, Redis (one script call)", "limiter_redis",
        f"{redis_check / 1000:.0f} µs" if redis_check else None, None, None)

    # Audit ingestion (crates/audit/benches/ingest.rs).
    ingest = read_json("ingest")
    add("Audit ingestion into PostgreSQL", "ingest",
        f"{n(ingest['events_per_s'])} events/s ({n(ingest['events'])} events)" if ingest else None,
        f"the same rows by COPY as the table owner (no RLS): {n(ingest['copy_events_per_s'])} rows/s"
        if ingest and ingest.get("copy_events_per_s") else None,
        ingest and ingest["events_per_s"])

    # WebSocket fan-out (tests/benches/ws_fanout.rs, three times in bench-http.sh).
    raw = read_json("ws-fanout-raw")
    floor = (f"bare server, same clients: p99 {raw['p99_ms']:.0f} ms (p50 {raw['p50_ms']:.0f}; "
             f"{n(raw['deliveries'])} of {n(raw['expected'])})") if raw else None
    for name, setting in (("ws-fanout-workers0", "HTTP_WORKERS default (one per core)"), ("ws-fanout-workers4", "HTTP_WORKERS=4")):
        ws = read_json(name)
        label = f"WebSocket fan-out, publish to receipt, {setting}"
        if ws:
            label = f"WebSocket fan-out, {n(ws['connections'])} sockets, publish to receipt, {setting}"
            measured = f"p99 {ws['p99_ms']:.0f} ms (p50 {ws['p50_ms']:.0f}, max {ws['max_ms']:.0f}; {n(ws['deliveries'])} of {n(ws['expected'])} delivered)"
            value = ws["p99_ms"] if ws["connections"] >= 10_000 and ws["deliveries"] == ws["expected"] else None
        else:
            measured, value = None, None
        add(label, "fanout", measured, floor, value)

    # Moderation (tests/benches/moderation.rs).
    mod = read_json("moderation")
    for batch in (1, 32):
        b = mod and mod.get(f"batch_{batch}")
        what = "one text per request" if batch == 1 else "32 texts per request"
        if b:
            # The median of the rounds' ratios: each round's analyze beside its own raw.
            pct = b.get("analyze_pct", 100 * b["analyze"] / b["raw"])
            rounds = mod.get("rounds", 1)
            add(f"`POST /moderation/analyze`, {what} ({mod['workers']} inference threads, median of {rounds} rounds)", "analyze",
                f"{n(b['analyze'])} texts/s ({pct:.1f}% of raw)",
                f"raw ONNX Runtime, same models: {n(b['raw'])} texts/s", pct)
        else:
            add(f"`POST /moderation/analyze`, {what}", "analyze", None, None, None)
    pc = mod and mod.get("product_create")
    add("`POST /products` with moderation, sequential", "create_latency",
        f"p50 {pc['p50_ms']:.1f} ms, p99 {pc['p99_ms']:.1f} ms" if pc else None, None, None)

    # Behavior (crates/behavior/benches/conditions.rs, tests/benches/behavior.rs).
    per_event = criterion_ns("conditions/100_patterns_per_event")
    rate = 100 / per_event * 1e9 if per_event else None
    add("Condition evaluations per second, one thread, 100 patterns", "conditions",
        f"{n(rate)}/s" if rate else None, None, rate)
    bh = read_json("behavior")
    add("Request → detection on the live hub", "detection_latency",
        f"p50 {bh['p50_ms']:.2f} ms, p99 {bh['p99_ms']:.2f} ms" if bh else None, None, None)

    # The load test (tests/benches/load.rs via scripts/bench-load.sh).
    load = read_json("load")
    if load:
        secs = load["duration_s"]
        target = load["target_rate"]
        # Sending on time is the generator's part; the server keeps up when
        # the answers end with the sending, so answered/elapsed (first send to
        # last answer) is the rate it sustained.
        answered = load["overall"]["sent"] - load["overall"]["transport_errors"]
        sustained = answered / load["elapsed_s"]
        add(f"Load: rate sustained, mixed workload, {secs:.0f} s open loop", "load_rate",
            f"{sustained:.1f} req/s answered ({n(answered)} requests; sent at {load['achieved_rate']:.1f} req/s)",
            f"target {target:.0f} req/s", sustained / target)
        labels = {"product_read": "product reads", "product_create": "product creations (moderated)",
                  "message_post": "messages (moderated)", "order_update": "order status changes"}
        base_create = pc and f"sequential, unloaded: p50 {pc['p50_ms']:.1f}, p99 {pc['p99_ms']:.1f} ms"
        for key, label in labels.items():
            s = load["per_op"].get(key)
            if s:
                add(f"Load: {label}, latency from scheduled send", "load_latency",
                    f"p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms",
                    base_create if key == "product_create" else None, None)
        o = load["overall"]
        add("Load: all requests, latency from scheduled send", "load_latency",
            f"p50 {o['p50_ms']:.1f} ms, p99 {o['p99_ms']:.1f} ms, max {o['max_ms']:.0f} ms", None, None)
        errors = o["server_errors"] + o["transport_errors"]
        add("Load: 5xx or unanswered requests", "load_5xx", f"{errors} of {n(o['sent'])}", None, errors)
        a = load["audit"]
        add("Load: activity events lost", "load_audit",
            f"{a['missing']} of {n(a['expected'])} answered requests ({a['duplicated']} recorded twice)",
            None, a["missing"] + a["duplicated"])
        r = load["rss_mib"]
        ratio = r["last"] / r["after_warmup"] if r["after_warmup"] else None
        add("Load: server resident memory", "load_memory",
            f"last {r['last']:.0f} MiB (max {r['max']:.0f})",
            f"after {r['warmup_s']:.0f} s warm-up: {r['after_warmup']:.0f} MiB", ratio)
    else:
        add("Load: mixed workload", "load_rate", None, None, None)
    return out


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    cores = os.cpu_count()
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
            mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    return f"{cores} cores ({cpu}){mem}"


def table():
    when = datetime.datetime.fromtimestamp(STARTED or datetime.datetime.now().timestamp())
    load = os.environ.get("BENCH_LOADAVG")
    lines = [
        f"Measured by `just bench` on {when:%Y-%m-%d}, {machine()}"
        + (f"; load average {load} when it started" if load else "")
        + ". Server, clients, PostgreSQL and Redis share the machine.",
        "",
        "| Figure | Goal | Measured | Baseline (same run) | Met? |",
        "|---|---|---|---|---|",
    ]
    for figure, goal, measured, baseline, ok in rows():
        lines.append(f"| {figure} | {goal} | {measured} | {baseline} | {ok} |")
    return "\n".join(lines)


def rewrite(readme, block):
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    fenced = f"{BEGIN}\n{block}\n{END}"
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        return text[:start] + fenced + text[end:]
    # First run: the markers go at the end of the Benchmarks section.
    m = re.search(r"^## Benchmarks\n", text, re.M)
    if not m:
        sys.exit("README has no '## Benchmarks' section")
    nxt = re.search(r"^## ", text[m.end():], re.M)
    at = m.end() + nxt.start() if nxt else len(text)
    return text[:at].rstrip("\n") + "\n\n" + fenced + "\n\n" + text[at:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    ap.add_argument("--dry-run", action="store_true", help="print the table, leave the README")
    args = ap.parse_args()
    block = table()
    print(block)
    if not args.dry_run:
        new = rewrite(args.readme, block)
        with open(args.readme, "w", encoding="utf-8") as f:
            f.write(new)
        print(f"\nwrote the table into {args.readme}")


if __name__ == "__main__":
    main()
