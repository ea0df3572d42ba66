#!/usr/bin/env python3
"""A real SMTP server for OpsIQ's mail integration tests, built on aiosmtpd (pip install aiosmtpd).

    python3 smtp_server.py --port N --dir OUTDIR [--user U --password P]
                           [--tls-cert C --tls-key K [--implicit-tls]] [--auth-require-tls]

Listens on 127.0.0.1:N and prints "READY" on stdout once it accepts connections; stops on
SIGTERM or SIGINT. Each accepted message i (1, 2, ...) is written to OUTDIR as
  i.eml   the raw message as received (after the SMTP dot-unstuffing), CRLF line ends kept;
  i.json  envelope and session facts plus the message as Python's email package parses it:
          {"mail_from", "rcpt_tos", "authenticated", "login", "tls", "size",
           "headers": [[name, decoded value], ...], "subject", "message_id", "date",
           "from": [{"name", "address"}], "to": [...], "reply_to": [...],
           "content_type", "text", "html", "defects": [...]}
i.json is renamed into place last, so its presence means the message is complete.

Options:
  --user/--password    AUTH (PLAIN, LOGIN) is offered and required before MAIL FROM; only this
                       pair is accepted (535 otherwise).
  --tls-cert/--tls-key STARTTLS is offered with this certificate (PEM files);
  --implicit-tls       ... or TLS from the first byte instead (smtps).
  --auth-require-tls   AUTH is offered only after STARTTLS (the default offers it in clear text).
Recipients are accepted except: a local part starting with "reject" gets 550, one starting
with "defer" gets 451 (to test permanent and temporary refusals).
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: recipient rejected" % address
        if local.startswith("defer"):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        login = getattr(session.auth_data, "login", None)
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        transport = server.transport
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "authenticated": bool(session.authenticated),
            "login": login,
            "tls": transport is not None and transport.get_extra_info("ssl_object") is not None,
            "size": len(raw),
        }
        record.update(parse(raw))
        base = os.path.join(self.directory, str(self.count))
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 Message accepted for delivery"


def parse(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)

    def addresses(name):
        header = msg[name]
        if header is None:
            return []
        return [{"name": a.display_name, "address": a.addr_spec} for a in header.addresses]

    def body(kind):
        part = msg.get_body(preferencelist=(kind,))
        return None if part is None else part.get_content()

    defects = []
    for part in msg.walk():
        defects += [type(d).__name__ for d in part.defects]
        for name, value in part.items():
            defects += ["%s: %s" % (name, type(d).__name__) for d in getattr(value, "defects", ())]
    return {
        "headers": [[name, str(value)] for name, value in msg.items()],
        "subject": None if msg["subject"] is None else str(msg["subject"]),
        "message_id": None if msg["message-id"] is None else str(msg["message-id"]),
        "date": None if msg["date"] is None else str(msg["date"]),
        "from": addresses("from"),
        "to": addresses("to"),
        "reply_to": addresses("reply-to"),
        "content_type": msg.get_content_type(),
        "text": body("plain"),
        "html": body("html"),
        "defects": defects,
    }


def main():
    parser = argparse.ArgumentParser(description="SMTP server for tests (aiosmtpd)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth-require-tls", action="store_true")
    args = parser.parse_args()
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password go together")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if args.implicit_tls and args.tls_cert is None:
        parser.error("--implicit-tls needs --tls-cert and --tls-key")
    os.makedirs(args.dir, exist_ok=True)

    context = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == args.user.encode()
              and auth_data.password == args.password.encode())
        # auth_data (login and password) stays in the session; only the login is recorded.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    recorder = Recorder(args.dir)

    def factory():
        kwargs = dict(hostname="opsiq-test-smtp", ident="OpsIQ test SMTP")
        if args.user is not None:
            kwargs.update(authenticator=authenticator, auth_required=True,
                          auth_require_tls=args.auth_require_tls)
        if context is not None and not args.implicit_tls:
            kwargs.update(tls_context=context, require_starttls=False)
        return SMTP(recorder, **kwargs)

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(factory, host="127.0.0.1", port=args.port,
                                          ssl=context if args.implicit_tls else None)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print("READY", flush=True)
        await stop.wait()
        server.close()
        await server.wait_closed()

    asyncio.run(serve())


if __name__ == "__main__":
    sys.exit(main())
