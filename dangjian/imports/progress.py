"""A text progress bar for long imports: bytes of a file sent to the database."""

from __future__ import annotations

from typing import TextIO

WIDTH = 30


class ProgressBar:
    """Redraws one line on a terminal; elsewhere (logs, CI) prints every tenth."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.label = ""
        self.shown = -1
        self.open = False

    def update(self, label: str, done: int, total: int) -> None:
        share = done / total if total else 1.0
        percent = int(share * 100)
        step = percent if self.tty else percent // 10 * 10
        if label == self.label and step == self.shown:
            return
        self.label, self.shown = label, step
        filled = int(share * WIDTH)
        line = (
            f"{label} [{'█' * filled}{'░' * (WIDTH - filled)}] {percent:3d}%"
            f"  {done / 2**20:,.0f} / {total / 2**20:,.0f} MB"
        )
        if self.tty:
            self.stream.write("\r" + line)
            self.open = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the bar's line before other output."""
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False
        self.label, self.shown = "", -1
