#!/usr/bin/python3
"""A real SMTP server for tests (aiosmtpd), on loopback, that keeps what it accepts.

    /usr/bin/python3 smtp.py --maildir DIR [--port PORT] [--reject SUBSTR]... [--drop-after-data]

Each accepted message is written once per envelope recipient to DIR/new/ (tmp/ then rename,
so a reader never sees half a file), with two headers prepended:
    X-Envelope-From: <sender>
    X-Envelope-To: <recipient>
--reject SUBSTR     answer 550 to RCPT TO whose address contains SUBSTR (case-insensitive)
--drop-after-data   take the whole message, keep it in DIR/dropped/ instead of DIR/new/, then
                    close the connection without any reply: the client cannot know whether
                    the mail went out ("delivery unknown").
PORT 0 (default) lets the kernel pick a free port; the port is printed on stdout and, with
--port-file, written to that file once the server listens.

Run it with Debian's /usr/bin/python3: `python3` on PATH may be a build without aiosmtpd.
"""

import argparse
import asyncio
import itertools
import os
import signal
import socket
import sys
import time

try:
    from aiosmtpd.smtp import SMTP
except ImportError:
    sys.exit("smtp.py: aiosmtpd is missing: install python3-aiosmtpd and run with /usr/bin/python3")

_seq = itertools.count()


def write_atomic(path, data):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(data)
    os.rename(tmp, path)


class Handler:
    def __init__(self, maildir, reject, drop_after_data):
        self.maildir = maildir
        self.reject = [r.lower() for r in reject]
        self.drop = drop_after_data
        for d in ("new", "cur", "tmp", "dropped"):
            os.makedirs(os.path.join(maildir, d), exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if any(r in address.lower() for r in self.reject):
            log("rejected RCPT TO:<%s>" % address)
            return "550 5.1.1 <%s>: recipient rejected (test server --reject)" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def store(self, envelope, where):
        raw = envelope.original_content
        eol = b"\r\n" if raw.split(b"\n", 1)[0].endswith(b"\r") else b"\n"
        names = []
        for rcpt in envelope.rcpt_tos:
            head = b"X-Envelope-From: <" + (envelope.mail_from or "").encode() + b">" + eol
            head += b"X-Envelope-To: <" + rcpt.encode() + b">" + eol
            now = time.time_ns()
            name = "%d.M%06dP%dQ%d.%s" % (now // 10**9, now // 1000 % 10**6, os.getpid(),
                                          next(_seq), socket.gethostname())
            tmp = os.path.join(self.maildir, "tmp", name)
            with open(tmp, "wb") as f:
                f.write(head + raw)
            os.rename(tmp, os.path.join(self.maildir, where, name))
            names.append(name)
        return names

    async def handle_DATA(self, server, session, envelope):
        if self.drop:
            names = self.store(envelope, "dropped")
            log("dropped connection after DATA from=<%s> to=%s files=%s"
                % (envelope.mail_from, envelope.rcpt_tos, names))
            server.transport.close()
            # aiosmtpd cancels this coroutine when the connection is gone; no reply is sent.
            await asyncio.sleep(3600)
            return "451 not reached"
        names = self.store(envelope, "new")
        log("accepted from=<%s> to=%s files=%s" % (envelope.mail_from, envelope.rcpt_tos, names))
        return "250 OK: stored"


def log(msg):
    print("%s smtp.py: %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


async def serve(args):
    handler = Handler(args.maildir, args.reject, args.drop_after_data)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="localhost", enable_SMTPUTF8=True,
                     data_size_limit=args.max_size),
        host=args.host, port=args.port, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    if args.pid_file:
        write_atomic(args.pid_file, "%d\n" % os.getpid())
    if args.port_file:
        write_atomic(args.port_file, "%d\n" % port)
    print(port, flush=True)
    log("listening on %s:%d, maildir %s" % (args.host, port, args.maildir))
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    log("stopped")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--maildir", required=True, help="where accepted mail goes (new/, dropped/)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--pid-file", help="write the pid here once listening")
    p.add_argument("--reject", action="append", default=[], metavar="RCPT_SUBSTRING",
                   help="550 for RCPT TO containing this (repeatable)")
    p.add_argument("--drop-after-data", action="store_true",
                   help="close the connection after DATA without replying")
    p.add_argument("--max-size", type=int, default=64 * 1024 * 1024,
                   help="largest message accepted, bytes")
    args = p.parse_args()
    args.maildir = os.path.abspath(args.maildir)
    try:
        asyncio.run(serve(args))
    except OSError as e:
        sys.exit("smtp.py: cannot listen on %s:%d: %s" % (args.host, args.port, e))


if __name__ == "__main__":
    main()
