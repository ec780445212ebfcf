"""Run a novelty refit off the critical path: on a worker thread (and a side CUDA stream) while the caller
trains the supernet, joined before the refitted model is first used.

The refit (encoder means of the archive, the generalised-Gaussian fit on the host, the archive's Jacobians
and the KDE of ||w_perp||) reads only the frozen D-VAE and a snapshot of the archive, so running it
concurrently changes no number: the joined result is the one an inline call gives (tested). On a GPU its host
work (numpy fit, the KDE bandwidth) no longer stalls the queue of supernet kernels; on a CPU with a free core it
overlaps the weight step.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import torch


class BackgroundTask:
    """At most one job at a time: ``submit(fn)`` starts it (inline when ``enabled`` is False), ``wait()`` joins
    it, re-raises its error and makes the current CUDA stream wait for the work it queued."""

    def __init__(self, enabled: bool = True, device: torch.device | None = None) -> None:
        self.enabled = enabled
        self.device = device
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        self._stream = None

    @property
    def pending(self) -> bool:
        return self._future is not None

    def submit(self, fn: Callable[[], None]) -> None:
        self.wait()
        if not self.enabled:
            fn()
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e2nas-refit")
        cuda = self.device is not None and self.device.type == "cuda"
        if cuda and self._stream is None:
            self._stream = torch.cuda.Stream(self.device)
        if cuda:
            # the side stream starts after everything queued so far (e.g. the encoder's inputs)
            self._stream.wait_stream(torch.cuda.current_stream(self.device))
        stream = self._stream
        threads = torch.get_num_threads()  # the worker uses the caller's CPU threads: same float sums

        def job() -> None:
            torch.set_num_threads(threads)
            if stream is None:
                fn()
                return
            with torch.cuda.stream(stream):
                fn()

        self._future = self._pool.submit(job)

    def wait(self) -> None:
        if self._future is None:
            return
        fut, self._future = self._future, None
        fut.result()
        if self._stream is not None:
            torch.cuda.current_stream(self.device).wait_stream(self._stream)

    def close(self) -> None:
        self.wait()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
