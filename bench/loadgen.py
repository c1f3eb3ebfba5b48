"""Load for the message benchmarks, from processes of its own.

`publish`: sends `test` or `user_authentication` messages at a fixed rate,
pipelined every few milliseconds, each carrying its send time (in `info`
or the `auth_token`) so that any receiver can time its reply.

`receive`: PSUBSCRIBEs `yastream.*` on a raw socket and finds the send
times in the replies with a regular expression, without decoding them:
the receiver must never be what limits the measure. Prints a JSON line.
"""

import json
import re
import socket
import sys
import time

import redis

from yascheduler.support.stats import summary

STAMP = re.compile(rb'"(?:info|auth_token)":"b(\d+)"')


def publish(url: str, kind: str, rate: float, duration: float, name: str) -> None:
    client = redis.Redis.from_url(url)
    names = [f"{name}-{i}" for i in range(20)]
    began = time.time()
    sent = 0
    while True:
        now = time.time()
        if now - began >= duration:
            break
        due = int((now - began) * rate) - sent
        if due > 0:
            pipe = client.pipeline(transaction=False)
            for i in range(due):
                stamp = f"b{time.time_ns()}"
                streamer = names[(sent + i) % 20]
                if kind == "test":
                    payload = f'{{"type":"test","streamer":"{streamer}","info":"{stamp}"}}'
                else:
                    payload = (
                        f'{{"type":"user_authentication","streamer":"{streamer}",'
                        f'"auth_token":"{stamp}","radio_uuid":"radio-1"}}'
                    )
                pipe.publish("yascheduler", payload)
            pipe.execute()
            sent += due
        time.sleep(0.002)
    print(json.dumps({"sent": sent, "seconds": time.time() - began}), flush=True)


def receive(url: str, seconds: float, ready_file: str) -> None:
    parsed = redis.connection.parse_url(url)
    sock = socket.create_connection((parsed.get("host", "127.0.0.1"), parsed.get("port", 6379)))
    sock.sendall(b"*2\r\n$10\r\nPSUBSCRIBE\r\n$10\r\nyastream.*\r\n")
    buffer = b""
    while b"psubscribe" not in buffer:
        buffer += sock.recv(4096)
    open(ready_file, "w").close()
    sock.settimeout(0.2)
    latencies = []
    first = last = None
    deadline = time.time() + seconds
    buffer = b""
    while time.time() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            continue
        if not chunk:
            break
        now_ns = time.time_ns()
        buffer += chunk
        end = 0
        for match in STAMP.finditer(buffer):
            latencies.append((now_ns - int(match.group(1))) / 1e6)
            end = match.end()
        if end:
            first = first or time.time()
            last = time.time()
        buffer = buffer[end:][-256:] if end else buffer[-256:]
    figures = summary(latencies)

    print(
        json.dumps(
            {
                "received": len(latencies),
                "first": first,
                "last": last,
                "p50_ms": figures["p50"],
                "p99_ms": figures["p99"],
                "max_ms": figures["max"],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "publish":
        publish(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        receive(sys.argv[2], float(sys.argv[3]), sys.argv[4])
