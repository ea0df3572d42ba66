#!/usr/bin/env python3
"""Bulk IMAP APPEND over one connection, for `opsiq-bench mail-import` and the test suite's Dovecot.

usage: append.py HOST PORT USER PASSWORD FILE [FOLDER]

FILE holds the messages one after another, each as its byte length in ASCII, a newline, then the
raw RFC 5322 bytes (CRLF line ends). One IMAPS login; the messages go in MULTIAPPEND commands
(RFC 3502) of up to 200 messages with non-synchronising literals (LITERAL+, RFC 7888), so there is
one round trip per command, not per message. Appended without flags: unread, like delivered mail.
The test server's certificate is self-signed, so it is not verified (loopback only). Prints the count.
"""
import socket
import ssl
import sys

BATCH = 200


class Conn:
    def __init__(self, host, port):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock = context.wrap_socket(socket.create_connection((host, port), timeout=120), server_hostname=host)
        self.buf = b""
        self.tag = 0
        greeting = self.line()
        if not greeting.startswith(b"* OK"):
            sys.exit(f"unexpected greeting: {greeting!r}")
        self.caps = greeting.upper()

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                sys.exit("the server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def command(self, payload):
        """Sends `payload` (bytes after the tag) and waits for the tagged answer."""
        self.tag += 1
        tag = b"A%d" % self.tag
        self.sock.sendall(tag + b" " + payload + b"\r\n")
        while True:
            line = self.line()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    sys.exit(f"IMAP command refused: {line[:300]!r}")
                return line


def quoted(s):
    return b'"' + s.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'


def main():
    host, port, user, password, path = sys.argv[1:6]
    folder = sys.argv[6] if len(sys.argv) > 6 else "INBOX"
    messages = []
    with open(path, "rb") as f:
        while True:
            header = f.readline()
            if not header:
                break
            messages.append(f.read(int(header.strip())))
    conn = Conn(host, int(port))
    conn.command(b"LOGIN " + quoted(user) + b" " + quoted(password))
    for start in range(0, len(messages), BATCH):
        parts = [b"APPEND " + quoted(folder)]
        for raw in messages[start:start + BATCH]:
            parts.append(b" {%d+}\r\n" % len(raw) + raw)
        conn.command(b"".join(parts))
    conn.command(b"LOGOUT")
    print(len(messages))


if __name__ == "__main__":
    main()
