"""An SMTP server in a thread on a free local port, scripted per message: answer late, hang up, or answer at once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

SLOW = "slow"  # answer the end of the message's data after `delay` seconds
HANG_UP = "hang_up"  # close the connection once the message's data is in, with no answer
CLOSE_AFTER = "close_after"  # answer 250, then close the connection (as a server dropping an idle client)
GARBLED = "garbled"  # answer the end of the message's data with a line that is no SMTP reply


@dataclass
class ScriptedSmtp:
    """Takes every message; `script` says what to do after the data of the message at that index (0, 1, …)."""

    script: dict[int, str] = field(default_factory=dict)
    delay: float = 0.0
    messages: list[bytes] = field(default_factory=list)
    connections: int = 0

    def serve(self, listener: socket.socket) -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._session, args=(connection,), daemon=True).start()

    def _session(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as lines:

            def say(reply: bytes) -> None:
                connection.sendall(reply + b"\r\n")

            say(b"220 scripted ESMTP")
            try:
                for line in lines:
                    command = line.strip().upper()
                    if command.startswith(b"EHLO"):
                        say(b"250-scripted\r\n250 8BITMIME")
                    elif command == b"DATA":
                        say(b"354 go ahead")
                        if not self._message(lines, say):
                            return
                    elif command == b"QUIT":
                        say(b"221 bye")
                        return
                    else:
                        say(b"250 ok")
            except OSError:
                return

    def _message(self, lines: Iterator[bytes], say: Callable[[bytes], None]) -> bool:
        """Read one message's data and act as scripted; False when the connection is to be closed."""
        body = []
        for line in lines:
            if line == b".\r\n":
                break
            body.append(line)
        else:
            return False  # the client went away within the data: no message
        index = len(self.messages)
        self.messages.append(b"".join(body))  # the final dot came: the server has the message
        action = self.script.get(index)
        if action == HANG_UP:
            return False
        if action == SLOW:
            time.sleep(self.delay)
        say(b"ok queued" if action == GARBLED else b"250 2.0.0 queued")
        return action != CLOSE_AFTER


@contextmanager
def running(server: ScriptedSmtp) -> Iterator[int]:
    """Serve on 127.0.0.1 and a free port, yielded; closed afterwards."""
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=server.serve, args=(listener,), daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
