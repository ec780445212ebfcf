"""Ctrl-C and SIGTERM reach one handler while a long command runs, and the previous handlers come back after."""

import os
import signal

from e2nas.engine.signals import STOP_SIGNALS, on_stop_signals


def test_both_stop_signals_reach_the_handler_and_the_old_handlers_return():
    assert set(STOP_SIGNALS) == {signal.SIGINT, signal.SIGTERM}
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    got = []
    with on_stop_signals(lambda sig, frame: got.append(sig)):
        for sig in STOP_SIGNALS:
            os.kill(os.getpid(), sig)
    assert got == list(STOP_SIGNALS)
    assert {sig: signal.getsignal(sig) for sig in STOP_SIGNALS} == before
