#!/usr/bin/env python3
"""Bulk IMAP APPEND over one connection, for `opsiq-bench mail-import`.

usage: append.py HOST PORT USER PASSWORD FILE [FOLDER]

FILE holds the messages one after another, each as its byte length in ASCII, a newline, then the
raw RFC 5322 bytes (CRLF line ends). One IMAPS login, one APPEND per message; the test server's
certificate is self-signed, so it is not verified (loopback only). Prints the count appended.
"""
import imaplib
import ssl
import sys


def main():
    host, port, user, password, path = sys.argv[1:6]
    folder = sys.argv[6] if len(sys.argv) > 6 else "INBOX"
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = imaplib.IMAP4_SSL(host, int(port), ssl_context=context)
    conn.login(user, password)
    count = 0
    with open(path, "rb") as f:
        while True:
            header = f.readline()
            if not header:
                break
            size = int(header.strip())
            raw = f.read(size)
            typ, data = conn.append(folder, None, None, raw)
            if typ != "OK":
                sys.exit(f"APPEND {count + 1} refused: {data!r}")
            count += 1
    conn.logout()
    print(count)


if __name__ == "__main__":
    main()
