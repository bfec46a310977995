"""`lifecycle replay`: the rules run offline over a file of events, with a clock that follows them."""

from lifecycle.replay.command import add_arguments, replay_events, run, run_replay
from lifecycle.replay.document import write_document
from lifecycle.replay.pipeline import Replay

__all__ = ["Replay", "add_arguments", "replay_events", "run", "run_replay", "write_document"]
