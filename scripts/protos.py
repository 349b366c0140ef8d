#!/usr/bin/env python3
"""PROTOS c07-sip (4527 mutated INVITEs) against a running `sip7940 phone`.

For every case: send the mutated INVITE, then the suite's teardown (CANCEL, then ACK),
then the valid case (case 0, fresh identifiers) and require an answer to it. A case
passes when the phone is alive and answers the valid case afterwards. Prints
`N passed, N failed` last; exits 1 if any case failed.

The test cases are read from the suite's tarball (../shared); nothing is extracted.
Traffic stays on loopback: the phone on 127.0.0.1, this script on 127.0.0.3.
"""
import argparse, collections, os, re, socket, subprocess, sys, tarfile, threading, time

def records(data):
    """A case file is `<len> SP <bytes>` records; returns their payloads."""
    out, i = [], 0
    while i < len(data):
        m = re.match(rb"(\d+) ", data[i:i + 12])
        if not m:
            break
        n = int(m.group(1)); start = i + m.end()
        out.append(data[start:start + n]); i = start + n
    return out

def substitute(tpl, subs):
    for k, v in subs.items():
        tpl = tpl.replace(k, v)
    head, sep, body = tpl.partition(b"\r\n\r\n")
    tpl = tpl.replace(b"<Content-Length>", str(len(body) if sep else 0).encode())
    return tpl[:65507]

def call_id_of(msg):
    m = re.search(rb"(?im)^(?:call-id|i)\s*:\s*(\S+)", msg)
    return m.group(1) if m else None

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--tarball", required=True)
    ap.add_argument("--profile", default="profiles/loopback")
    ap.add_argument("--limit", type=int, default=0, help="run only the first N cases")
    a = ap.parse_args()

    with tarfile.open(a.tarball) as tar:
        cases = sorted((m for m in tar.getmembers() if re.search(r"testcases/\d{7}$", m.name)), key=lambda m: m.name)
        data = {int(m.name[-7:]): records(tar.extractfile(m).read()) for m in cases}
    numbers = sorted(data)[: a.limit or None]

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]; probe.close()
    # The cases come straight from 127.0.0.3, not through the proxy: accept direct requests
    # so that every case reaches the UA's own checks (ghost-call protection would 403 them).
    phone = subprocess.Popen([a.bin, "--config-dir", a.profile, "--set", f"voip_control_port={port}",
                              "--set", "accept_direct_calls=1",
                              "phone", "--bind", "127.0.0.1", "--no-register"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ready = threading.Event()
    def watch():
        for line in phone.stderr:
            if b"listening on" in line:
                ready.set()
    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(30):
        print("the phone did not start"); phone.kill(); return 2

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.3", 0)); s.settimeout(0.05)
    lport = s.getsockname()[1]
    target = ("127.0.0.1", port)
    seq = [0]
    def subs(method_for_teardown):
        return {b"<To>": f"12345@127.0.0.1:{port}".encode(), b"<From>": b"protos@127.0.0.3",
                b"<From-Address>": b"127.0.0.3", b"<From-IP>": b"127.0.0.3",
                b"<Local-Port>": str(lport).encode(), b"<Call-ID>": str(seq[0]).encode(),
                b"<CSeq>": b"1", b"<Branch-ID>": f"{seq[0] % 1000000:06d}".encode(),
                b"<Teardown-Method>": method_for_teardown}
    answers = collections.Counter()
    def send_case(recs):
        seq[0] += 1
        s.sendto(substitute(recs[0], subs(b"CANCEL")), target)
        if len(recs) > 1:
            s.sendto(substitute(recs[1], subs(b"CANCEL")), target)
            s.sendto(substitute(recs[1], subs(b"ACK")), target)
        return f"{seq[0]}@127.0.0.3".encode()
    def drain(want=None, wait=0.0):
        end = time.time() + wait
        while True:
            try:
                d, _ = s.recvfrom(65535)
            except socket.timeout:
                if time.time() >= end:
                    return False
                continue
            code = d[8:11].decode(errors="replace") if d.startswith(b"SIP/2.0 ") else "?"
            if want is not None and call_id_of(d) == want and code not in ("100", "?"):
                return True

    passed = failed = 0; failures = []
    started = time.time()
    for n in numbers:
        send_case(data[n])
        valid_id = send_case(data[0])
        ok = drain(valid_id, wait=2.0) or drain(valid_id, wait=2.0)
        alive = phone.poll() is None
        if ok and alive:
            passed += 1
        else:
            failed += 1; failures.append(n)
            if not alive:
                print(f"case {n:07d}: the phone died (exit {phone.returncode})"); break
    elapsed = time.time() - started
    rss = "?"
    try:
        with open(f"/proc/{phone.pid}/status") as f:
            rss = next(l.split(":")[1].strip() for l in f if l.startswith("VmRSS"))
    except (OSError, StopIteration):
        pass
    phone.terminate()
    try:
        phone.wait(5)
    except subprocess.TimeoutExpired:
        phone.kill()
    for n in failures[:20]:
        print(f"FAIL case {n:07d}: no answer to the valid case afterwards")
    print(f"protos c07-sip: {len(numbers)} cases in {elapsed:.1f} s, phone RSS at the end {rss}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1

if __name__ == "__main__":
    sys.exit(main())
