#!/usr/bin/env python3
"""Feed the standard benchmark workload (../shared/bench/mailgen.py) to trygg over SMTP.

    smtp-feed.py --dir WORKLOAD --port 2525 --clients 8 --pid SERVER_PID [--data DATA --trygg BIN]

C clients, each with one persistent SMTP session (smtplib), take the messages in file
order. A reply waits until the first mail of its thread has been accepted, then gets that
ticket's tag ("[#1001]", read from trygg's 250 reply) in place of {{TAG:kkkk}}, as the
workload's README asks of a feeder. Bare LF line ends become CRLF, as an MTA sends them.

Timing runs from the first MAIL to the last 250 after DATA (trygg sends that 250 only once
the message is durably committed). With --pid, the server's CPU time (utime+stime from
/proc/PID/stat) is read before and after, and its peak RSS (VmHWM) at the end. With --data
and --trygg, the result is checked: as many tickets as the workload has threads and as
many articles as messages. Prints one JSON line.
"""
import argparse, json, os, re, smtplib, sys, threading, time

TAG = re.compile(rb"\{\{TAG:(\d{4})\}\}")
TICKET = re.compile(r"(\[#\d+\])")


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--data")
    ap.add_argument("--trygg")
    a = ap.parse_args()
    man = json.load(open(os.path.join(a.dir, "manifest.json"), encoding="utf-8"))
    msgs = man["messages"]
    raw = {}
    for m in msgs:
        b = open(os.path.join(a.dir, m["file"]), "rb").read()
        raw[m["idx"]] = b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    tags, cond = {}, threading.Condition()
    nxt = [0]
    errors = []

    def worker():
        s = smtplib.SMTP(a.host, a.port, timeout=120)
        s.ehlo("feeder.bench.example")
        while True:
            with cond:
                if nxt[0] >= len(msgs) or errors:
                    break
                m = msgs[nxt[0]]
                nxt[0] += 1
                if m["kind"] == "reply":
                    while m["thread"] not in tags and not errors:
                        cond.wait()
                    if errors:
                        break
                    tag = tags[m["thread"]]
            data = raw[m["idx"]]
            if m["kind"] == "reply":
                data = TAG.sub(tag.encode(), data)
            try:
                s.mail(m["from"])
                code, resp = s.rcpt(man_to)
                if code != 250:
                    raise RuntimeError("RCPT %d %r" % (code, resp))
                code, resp = s.data(data)
                if code != 250:
                    raise RuntimeError("DATA %d %r" % (code, resp))
            except Exception as e:  # noqa: BLE001 - report and stop every worker
                with cond:
                    errors.append("%s: %s" % (m["file"], e))
                    cond.notify_all()
                break
            if m["kind"] == "new":
                t = TICKET.search(resp.decode("utf-8", "replace"))
                with cond:
                    if not t:
                        errors.append("%s: no ticket tag in %r" % (m["file"], resp))
                    else:
                        tags[m["thread"]] = t.group(1)
                    cond.notify_all()
        try:
            s.quit()
        except Exception:  # noqa: BLE001
            pass

    first = open(os.path.join(a.dir, msgs[0]["file"]), "rb").read()
    to = re.search(rb"^To: (.+)$", first, re.M)
    man_to = to.group(1).strip().decode() if to else "support@helpdesk.example"

    cpu0 = cpu_ticks(a.pid) if a.pid else None
    t0 = time.monotonic()
    ws = [threading.Thread(target=worker) for _ in range(a.clients)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    wall = time.monotonic() - t0
    out = {"clients": a.clients, "messages": len(msgs), "wall_s": round(wall, 3),
           "mails_per_s": round(len(msgs) / wall, 1), "errors": errors[:5]}
    if a.pid:
        tick = os.sysconf("SC_CLK_TCK")
        cpu = (cpu_ticks(a.pid) - cpu0) / tick
        out["server_cpu_s"] = round(cpu, 2)
        out["cpu_ms_per_mail"] = round(1000 * cpu / len(msgs), 2)
        out["server_peak_rss_mib"] = round(hwm_kib(a.pid) / 1024, 1)
    if a.data and a.trygg:
        import subprocess
        lst = json.loads(subprocess.check_output([a.trygg, "ticket", "list", "--data", a.data, "--json",
                                                  "--limit", "100000"]))
        out["tickets"] = len(lst)
        out["articles"] = sum(t.get("articles", 0) for t in lst)
        out["expected_tickets"] = man["threads"]
    print(json.dumps(out))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
