#!/usr/bin/env python3
"""Scale bench: one tembridge instance polling METERS meters behind CONVERTERS tcp:// converter
endpoints (METERS / CONVERTERS meters each), all served by one `tembridge simulate --endpoints`
process with 9600 baud wire timing. Run by Tests/Bench/run.sh (part `scale`, see
docs/BENCHMARKS.md); alone:

    python3 Tests/Bench/scale.py BINARY OUT_DIR METERS CONVERTERS [POLL_SECONDS] [STEADY_SECONDS]

The map (written to OUT_DIR/scale-METERS.yaml, see `write_map`): converter c is line `cC` at
127.0.0.1:SIM_PORT+c with meters at addresses 1..k; each converter's meters share one Modbus
unit id at register_offset 0, 100, 200, ...; unit ids 1...247 per listener, as many listeners
(LISTEN_PORT, +1, ...) as needed.

Measured: the line cycle (one full read of one meter at 9600 baud, `tembridge read`, times the
meters per converter); time from exec to every meter online (/api/status summary); one poll
interval later (steady state: every meter past its second poll, the first reads its
configuration), CPU seconds per second of the tembridge process over STEADY_SECONDS (default: the poll interval) without
console requests, with VmRSS, VmHWM, threads and descriptors at its end; then the largest age of
any meter's data over three sweeps of every page of /api/status spread over a poll interval. Prints one `scale:`
line per figure and a `TARGET scale ...: MET|MISSED` line per target (every size: fresh data,
start-up within two line cycles; at 10 000 meters also <= 200 MB resident and <= 10 % of one
core); exits 1 if a meter never comes online.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

SIM_PORT = 20000
LISTEN_PORT = 16000
HTTP_PORT = 15999
REGISTER_STRIDE = 100
UNITS_PER_LISTENER = 247


def write_map(path, meters, converters, poll):
    per = meters // converters
    listeners = (converters + UNITS_PER_LISTENER - 1) // UNITS_PER_LISTENER
    out = ["server:", "  listen: [" + ", ".join(f"127.0.0.1:{LISTEN_PORT + i}" for i in range(listeners)) + "]",
           "  max_connections: 64",
           "http:", f"  listen: 127.0.0.1:{HTTP_PORT}",
           "lines:"]
    for c in range(converters):
        out.append(f"  - {{ name: c{c}, endpoint: \"tcp://127.0.0.1:{SIM_PORT + c}\", timeout: 1s, retries: 1 }}")
    out.append("meters:")
    for c in range(converters):
        listen = f"127.0.0.1:{LISTEN_PORT + c // UNITS_PER_LISTENER}"
        unit = c % UNITS_PER_LISTENER + 1
        for a in range(1, per + 1):
            out.append(f"  - {{ name: m{c}-{a}, line: c{c}, address: {a}, unit_id: {unit}, listen: {listen}, "
                       f"register_offset: {(a - 1) * REGISTER_STRIDE}, poll_interval: {poll}s, registers: heat }}")
    out += ["register_sets:", "  heat:",
            "    - { address: 0, value: status.online, type: uint16 }",
            "    - { address: 1, value: status.age, type: uint16 }",
            "    - { address: 2, value: temperature.1 }",
            "    - { address: 4, value: temperature.2 }",
            "    - { address: 6, value: flow.1 }",
            "    - { address: 8, value: energy.1, type: float64 }",
            "    - { address: 12, value: volume.1, type: float64 }",
            "    - { address: 16, value: mass.1, type: float64 }",
            "    - { address: 20, value: time.powered, type: uint32 }",
            "    - { address: 22, value: clock, type: uint32 }"]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def status(query):
    with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/api/status?{query}", timeout=30) as r:
        return json.load(r)


def proc(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read().rsplit(")", 1)[1].split()
    ticks = int(stat[11]) + int(stat[12])
    return {"rss_kb": int(fields["VmRSS"].split()[0]), "hwm_kb": int(fields["VmHWM"].split()[0]),
            "threads": int(fields["Threads"]), "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "cpu": ticks / os.sysconf("SC_CLK_TCK")}


def main():
    binary, out, meters, converters = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    poll = int(sys.argv[5]) if len(sys.argv) > 5 else 60
    steady = int(sys.argv[6]) if len(sys.argv) > 6 else poll
    per = meters // converters
    assert per * converters == meters and per <= 16, "METERS must be a multiple of CONVERTERS, ≤ 16 per converter"
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"scale-{meters}.yaml")
    write_map(path, meters, converters, poll)
    check = subprocess.run([binary, "check", "--mapping", path], capture_output=True, text=True)
    if check.returncode != 0:
        sys.exit(f"scale: the generated map does not pass check:\n{check.stdout}{check.stderr}")
    addresses = ",".join(str(a) for a in range(1, per + 1))
    sim = subprocess.Popen([binary, "simulate", "--listen", f"127.0.0.1:{SIM_PORT}", "--endpoints", str(converters),
                            "--addresses", addresses, "--line-speed", "9600", "--history", "2"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.PIPE, text=True)
    bridge = None
    try:
        banner = sim.stdout.readline()
        if "endpoints" not in banner:
            sys.exit(f"scale: simulator did not start: {banner}")
        started = time.monotonic()
        read = subprocess.run([binary, "read", f"tcp://127.0.0.1:{SIM_PORT}", "--address", "1", "--format", "json"],
                              capture_output=True, text=True)
        meter_read = time.monotonic() - started
        if read.returncode != 0:
            sys.exit(f"scale: cannot read a simulated meter: {read.stderr}")
        cycle = meter_read * per
        print(f"scale: {meters} meters on {converters} converters ({per} each, 9600 baud), poll interval {poll} s")
        print(f"scale: line cycle {cycle:.2f} s (one full meter read {meter_read:.2f} s x {per})")
        log = open(os.path.join(out, f"scale-{meters}.log"), "w")
        exec_time = time.monotonic()
        bridge = subprocess.Popen([binary, "serve", "--mapping", path], stdout=log, stderr=log)
        online_at = None
        deadline = exec_time + max(120, 6 * cycle)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                summary = status("page=1&per_page=1")["summary"]
            except OSError:
                continue
            if summary["online"] == meters:
                online_at = time.monotonic() - exec_time
                break
        if online_at is None:
            print(f"scale: FAIL not every meter came online within {deadline - exec_time:.0f} s: {summary}")
            sys.exit(1)
        print(f"scale: start-up to all {meters} meters online {online_at:.1f} s "
              f"({online_at / cycle:.2f} line cycles; target <= 2)")
        # CPU over a quiet window (no console requests: a page of /api/status costs the bridge a
        # look at every meter), then sweeps of every page for the oldest data.
        time.sleep(poll)  # steady state: every meter past its second poll (the first reads its configuration)
        before, t0 = proc(bridge.pid), time.monotonic()
        time.sleep(steady)
        after, t1 = proc(bridge.pid), time.monotonic()
        cpu = (after["cpu"] - before["cpu"]) / (t1 - t0)
        worst_age, stale_seen, sweeps = 0.0, 0, 3
        for sweep in range(sweeps):
            page, pages = 1, 1
            while page <= pages:
                document = status(f"page={page}&per_page=1000")
                pages = document["paging"]["pages"]
                for meter in document["meters"]:
                    worst_age = max(worst_age, meter["age_seconds"] or 1e9)
                    stale_seen += 0 if meter["online"] else 1
                page += 1
            time.sleep(poll / sweeps)
        bound = poll + cycle
        print(f"scale: {sweeps} sweeps of /api/status over {poll} s: oldest data {worst_age:.1f} s "
              f"(bound: poll interval + line cycle = {bound:.1f} s), stale sightings {stale_seen}")
        print(f"scale: over {t1 - t0:.0f} s steady: VmRSS {after['rss_kb'] / 1024:.1f} MB, "
              f"VmHWM {after['hwm_kb'] / 1024:.1f} MB, threads {after['threads']}, descriptors {after['fds']}, "
              f"CPU {cpu * 100:.1f} % of one core")
        verdict = [("fresh", worst_age <= bound and stale_seen == 0), ("start-up", online_at <= 2 * cycle)]
        if meters >= 10000:
            verdict += [("memory", after["rss_kb"] <= 200 * 1024), ("cpu", cpu <= 0.10)]
        for name, ok in verdict:
            print(f"TARGET scale {meters}/{converters} {name}: {'MET' if ok else 'MISSED'}")
    finally:
        for p in [bridge, sim]:
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    main()
