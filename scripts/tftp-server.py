#!/usr/bin/env python3
"""A small read-only TFTP server (RFC 1350) for sip7940's tests and for trying `--tftp`.

    scripts/tftp-server.py ROOT [--bind 127.0.0.1] [--port 0] [--loss PERCENT] [--duplicate]

Serves the files under ROOT (names are case-sensitive, as on a real server) in octet
mode, 512-byte blocks, one thread and one fresh port (transfer ID) per request.
Prints `listening on HOST:PORT` once ready (port 0 picks a free one). Refuses writes,
absolute names and `..` with ERROR 2, answers ERROR 1 for a missing file, ignores
RFC 2347 options (plain DATA back, as the RFC allows). Each DATA is sent again after 1 s
without its ACK, 5 times in all; a repeated ACK is not answered (no Sorcerer's Apprentice).

Test aids: --loss drops that share of the DATA packets it would send (seeded with
--seed), --duplicate sends every DATA twice. Standard library only.
"""

import argparse
import os
import random
import socket
import struct
import sys
import threading

BLOCK = 512
TIMEOUT = 1.0
TRIES = 5

OP_RRQ, OP_WRQ, OP_DATA, OP_ACK, OP_ERROR = 1, 2, 3, 4, 5


def error_packet(code, message):
    return struct.pack("!HH", OP_ERROR, code) + message.encode() + b"\0"


class Faults:
    """What the test asked to go wrong, shared by every transfer."""

    def __init__(self, loss, duplicate, seed):
        self.loss = loss / 100.0
        self.duplicate = duplicate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def send(self, sock, packet, to):
        with self.lock:
            lost = self.rng.random() < self.loss
        if lost:
            return
        sock.sendto(packet, to)
        if self.duplicate:
            sock.sendto(packet, to)


def resolve(root, name):
    """The path for a requested name, or None when it leaves ROOT."""
    if name.startswith("/") or "\\" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return os.path.join(root, *parts)


def serve_file(bind, client, path, faults):
    """Sends one file to `client` from a fresh port, then returns."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((bind, 0))
    sock.settimeout(TIMEOUT)
    try:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            sock.sendto(error_packet(1, "File not found"), client)
            return
        except OSError as e:
            sock.sendto(error_packet(2, "Access violation: " + e.strerror), client)
            return
        block = 1
        while True:
            chunk = data[(block - 1) * BLOCK : block * BLOCK]
            packet = struct.pack("!HH", OP_DATA, block & 0xFFFF) + chunk
            acked = False
            for _ in range(TRIES):
                faults.send(sock, packet, client)
                while True:
                    try:
                        reply, sender = sock.recvfrom(1024)
                    except socket.timeout:
                        break
                    if sender != client:
                        sock.sendto(error_packet(5, "Unknown transfer ID"), sender)
                        continue
                    if len(reply) < 4:
                        continue
                    op, number = struct.unpack("!HH", reply[:4])
                    if op == OP_ERROR:
                        return
                    if op == OP_ACK and number == block & 0xFFFF:
                        acked = True
                        break
                    # A repeated ACK of the previous block: wait on, send nothing.
                if acked:
                    break
            if not acked or len(chunk) < BLOCK:
                return
            block += 1
    finally:
        sock.close()


def main():
    parser = argparse.ArgumentParser(description="read-only TFTP server (RFC 1350)")
    parser.add_argument("root")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--loss", type=float, default=0.0, help="percent of DATA packets to drop")
    parser.add_argument("--duplicate", action="store_true", help="send every DATA twice")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    root = os.path.realpath(args.root)
    faults = Faults(args.loss, args.duplicate, args.seed)

    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind((args.bind, args.port))
    host, port = listener.getsockname()
    print(f"listening on {host}:{port}", flush=True)
    while True:
        request, client = listener.recvfrom(1024)
        if len(request) < 2:
            continue
        (op,) = struct.unpack("!H", request[:2])
        if op == OP_WRQ:
            listener.sendto(error_packet(2, "Access violation: read-only server"), client)
            continue
        if op != OP_RRQ:
            listener.sendto(error_packet(4, "Illegal TFTP operation"), client)
            continue
        fields = request[2:].split(b"\0")
        if len(fields) < 2:
            listener.sendto(error_packet(4, "Illegal TFTP operation"), client)
            continue
        name = fields[0].decode("utf-8", "replace")
        path = resolve(root, name)
        if path is None:
            listener.sendto(error_packet(2, "Access violation"), client)
            continue
        print(f"RRQ {name} from {client[0]}:{client[1]}", flush=True)
        threading.Thread(target=serve_file, args=(args.bind, client, path, faults), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
