"""Something that answers at a paired agent's address with the agent's certificate, but floods or
drips its answers: what certdesk must survive from a broken or hostile end server.

    hostile_agent.py CERT KEY PORT MODE

MODE "flood": every request is answered 200 with a chunked body that never ends (64 KiB chunks
as fast as the client reads). MODE "drip": every request is answered 200 with a chunked body
of one byte a second. Prints "ready" once listening; logs "served BYTES" per connection to
stderr when the client hangs up.
"""

import socket
import ssl
import sys
import threading
import time


def serve(conn, mode):
    sent = 0
    try:
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        if mode == "flood":
            chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
            while True:
                conn.sendall(chunk)
                sent += 65536
        else:
            conn.sendall(b"1\r\n{\r\n")
            while True:
                time.sleep(1)
                conn.sendall(b"1\r\n \r\n")
                sent += 1
    except (OSError, ssl.SSLError):
        pass
    finally:
        print(f"served {sent}", file=sys.stderr, flush=True)
        conn.close()


def main():
    cert, key, port, mode = sys.argv[1:5]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", int(port)))
    print("ready", flush=True)
    while True:
        raw, _ = listener.accept()
        try:
            conn = context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
