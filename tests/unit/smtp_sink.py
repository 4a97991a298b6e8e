#!/usr/bin/python3
"""smtp_sink.py: a throwaway SMTP server for tests, on aiosmtpd (Debian's python3-aiosmtpd).

    /usr/bin/python3 tests/unit/smtp_sink.py PORT_FILE MAILDIR [--auth USER:PASSWORD]
                                             [--lifetime SECONDS] [--stall N] [--delay-ms MS]

Listens on 127.0.0.1 on a port the kernel picks and writes that port number to PORT_FILE
(atomically: a reader that sees the file sees the whole number). Every message received is
stored as MAILDIR/NNNN.eml, byte for byte as the client sent it (after SMTP dot-unstuffing),
with the envelope beside it in MAILDIR/NNNN.envelope ("MAIL FROM:<a>" and one "RCPT TO:<b>"
line per recipient); the .envelope file is written first and each file appears by rename, so
once a .eml exists both are complete.

With --auth, the server advertises AUTH PLAIN and LOGIN without TLS and refuses mail from a
client that has not authenticated as USER with PASSWORD.

With --stall N, the first N messages are held: their whole DATA is received, then the server
never answers it, as a mail server that hangs before accepting. A held message is not stored
(an SMTP server has accepted a message only once it answered its DATA with 250); its envelope
is written to MAILDIR/NNNN.stalled when the hold starts, so a test can see it, and the hold
ends only when the client goes away. With --delay-ms MS, every other message waits MS
milliseconds before it is stored and answered (a slow server; a client that leaves meanwhile
has sent nothing).

It exits by itself after 60 seconds (or --lifetime SECONDS), or as soon as its standard input
reaches end of file (the test that started it closed its end of a pipe, or died). Exit status
77 means aiosmtpd is not installed, so the caller can skip rather than fail.
"""

import asyncio
import logging
import os
import sys
import threading
import warnings

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError:
    sys.stderr.write("smtp_sink: aiosmtpd is not installed for %s\n" % sys.executable)
    sys.exit(77)

LIFETIME_S = 60


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Sink:
    """aiosmtpd handler that files every message in a directory."""

    def __init__(self, maildir, stall=0, delay_ms=0):
        self.maildir = maildir
        self.count = 0
        self.stall = stall  # messages still to hold
        self.delay_ms = delay_ms
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            base = os.path.join(self.maildir, "%04d" % self.count)
            held = self.stall > 0
            if held:
                self.stall -= 1
        lines = ["MAIL FROM:<%s>" % envelope.mail_from]
        lines += ["RCPT TO:<%s>" % r for r in envelope.rcpt_tos]
        if held:
            write_atomically(base + ".stalled", ("\n".join(lines) + "\n").encode())
            # aiosmtpd cancels this when the connection is lost; nothing is stored either way.
            await asyncio.Event().wait()
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000.0)
        write_atomically(base + ".envelope", ("\n".join(lines) + "\n").encode())
        write_atomically(base + ".eml", envelope.original_content or envelope.content)
        return "250 OK stored"


class EphemeralController(Controller):
    """A Controller on port 0. The stock one connects to self.port to check that the server is
    up, so learn the real port from the listening socket before it does."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def main():
    usage = ("usage: smtp_sink.py PORT_FILE MAILDIR [--auth USER:PASSWORD] "
             "[--lifetime SECONDS] [--stall N] [--delay-ms MS]\n")
    args = sys.argv[1:]
    auth = None
    lifetime = LIFETIME_S
    counts = {"--stall": 0, "--delay-ms": 0}
    positional = []
    i = 0
    while i < len(args):
        if args[i] in ("--auth", "--lifetime", "--stall", "--delay-ms"):
            if i + 1 >= len(args):
                sys.stderr.write(usage)
                return 2
            if args[i] == "--auth":
                auth = args[i + 1].encode().split(b":", 1)
            elif args[i] in counts:
                value = args[i + 1]
                if not value.isdigit() or len(value) > 9:
                    sys.stderr.write(usage)
                    return 2
                counts[args[i]] = int(value)
            else:
                try:
                    lifetime = float(args[i + 1])
                except ValueError:
                    lifetime = -1
                if not lifetime > 0:
                    sys.stderr.write(usage)
                    return 2
            i += 2
        else:
            positional.append(args[i])
            i += 1
    args = positional
    if len(args) != 2:
        sys.stderr.write(usage)
        return 2
    port_file, maildir = args
    os.makedirs(maildir, exist_ok=True)

    # Plain-text AUTH is the point of --auth; keep aiosmtpd's warnings about it out of the
    # test output.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    options = {}
    if auth:
        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = [auth_data.login, auth_data.password] == auth
            # handled=False: aiosmtpd then answers 535 itself (the default, True, means the
            # authenticator already replied, and the client would wait for ever).
            return AuthResult(success=ok, handled=False)

        options = dict(authenticator=authenticate, auth_required=True, auth_require_tls=False)
    sink = Sink(maildir, stall=counts["--stall"], delay_ms=counts["--delay-ms"])
    controller = EphemeralController(sink, hostname="127.0.0.1", port=0, **options)
    controller.start()
    write_atomically(port_file, b"%d\n" % controller.port)

    done = threading.Event()

    def wait_for_eof():
        # os.read, not sys.stdin.buffer: a daemon thread blocked inside the buffered reader
        # holds its lock, and the interpreter aborts at shutdown ("could not acquire lock for
        # <stdin>") when the lifetime runs out with standard input still open.
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        finally:
            done.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    done.wait(lifetime)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
