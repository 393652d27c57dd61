"""A real SMTP server (aiosmtpd) for certdesk's mail tests that keeps every message it accepts.

Each message N is written to --dir as N.eml (the raw message) and N.json (the envelope, the
headers the tests check, the text body, and each attachment, saved beside it as N-FILENAME),
parsed with Python's `email` package as a mail client would.

  smtp_sink.py --port P --dir D [--security none|starttls|tls --cert C --key K]
               [--user U --password W]

With --user, AUTH is required (and offered only over TLS, like a real submission server).
"""

import argparse
import email
import email.policy
import json
import os
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        attachments = []
        for part in message.iter_attachments():
            name = part.get_filename() or "attachment"
            path = os.path.join(self.directory, f"{n}-{os.path.basename(name)}")
            with open(path, "wb") as f:
                f.write(part.get_payload(decode=True))
            attachments.append(
                {"filename": name, "content_type": part.get_content_type(), "path": path}
            )
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "content_type": message.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "attachments": attachments,
            "tls": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
            "authenticated_as": (
                session.auth_data.login.decode()
                if isinstance(session.auth_data, LoginPassword)
                else None
            ),
        }
        with open(os.path.join(self.directory, f"{n}.eml"), "wb") as f:
            f.write(raw)
        # Written last, under a temporary name: a test that sees N.json sees all of message N.
        tmp = os.path.join(self.directory, f".{n}.json")
        with open(tmp, "w") as f:
            json.dump(summary, f, indent=2)
        os.rename(tmp, os.path.join(self.directory, f"{n}.json"))
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--security", choices=["none", "starttls", "tls"], default="none")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    args = p.parse_args()

    kwargs = {}
    if args.security != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.security == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        else:
            # aiosmtpd only counts STARTTLS as TLS when deciding whether to offer AUTH; here
            # every byte is TLS already.
            kwargs.update(ssl_context=context, auth_require_tls=False)
    if args.user:

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == args.user
                and auth_data.password.decode() == args.password
            )
            return AuthResult(success=ok, auth_data=auth_data)

        kwargs.update(authenticator=authenticator, auth_required=True)

    controller = Controller(
        Sink(args.dir), hostname="127.0.0.1", port=args.port, **kwargs
    )
    controller.start()
    print(f"smtp sink on 127.0.0.1:{args.port} ({args.security})", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
