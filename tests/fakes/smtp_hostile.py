"""An SMTP server that never finishes its greeting, for certdesk's limits on what a server sends.

  smtp_hostile.py --port P --mode drip|flood --record FILE
drip:  "220 " and then one byte every half second, never a line end (each read succeeds, so
       only a deadline over the whole exchange ends it)
flood: "220-" and then bytes as fast as the client takes them, never a line end
Each connection is recorded in FILE as a JSON line {"mode", "bytes", "received"} when the client
hangs up: what was sent, and whatever the client wrote (it must never get as far as AUTH).
"""

import argparse
import json
import socket
import threading
import time


def serve(conn, mode, record):
    sent, received = 0, b""
    conn.settimeout(0.01)
    try:
        conn.sendall(b"220 " if mode == "drip" else b"220-")
        chunk = b"x" * (1 if mode == "drip" else 65536)
        while sent < 8 << 30:
            conn.sendall(chunk)
            sent += len(chunk)
            try:
                data = conn.recv(4096)
                if not data:
                    break
                received += data
            except socket.timeout:
                pass
            if mode == "drip":
                time.sleep(0.5)
    except OSError:
        pass
    finally:
        conn.close()
    with open(record, "a") as f:
        f.write(json.dumps({"mode": mode, "bytes": sent, "received": received.decode("latin-1")}) + "\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["drip", "flood"], required=True)
    p.add_argument("--record", required=True)
    args = p.parse_args()
    server = socket.create_server(("127.0.0.1", args.port))
    print("listening", flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, args.mode, args.record), daemon=True).start()


if __name__ == "__main__":
    main()
