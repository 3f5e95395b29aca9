"""Zhifa as an HTTP service: JSON endpoints for any platform, and a page where reviewers try cases.

Install with the extra ``zhifa[serve]`` (FastAPI and uvicorn), then ``zhifa serve`` or::

    from engine.service import create_app
    app = create_app()                      # the embedded rulesets; create_app("path/to/rulesets") for others

The service is built on the public `engine` API only, and nothing in the engine's core imports it.
See docs/service.md for the endpoints.
"""

from __future__ import annotations

from engine.service.app import Limits, create_app
from engine.service.store import RulesetStore

__all__ = ["Limits", "RulesetStore", "create_app", "serve"]


def serve(host: str = "127.0.0.1", port: int = 8000, rulesets: str | None = None, *, limits: Limits = Limits(),
          log_level: str = "info") -> None:
    """Load the rulesets, then serve until interrupted; SIGHUP reloads the rulesets without dropping requests.

    Raises:
        RulesetError: a ruleset does not load (the service does not start).
    """
    import signal
    import threading

    import uvicorn

    app = create_app(rulesets, limits=limits)
    store: RulesetStore = app.state.store

    def _reload(*_: object) -> None:
        def run() -> None:
            import engine
            try:
                snap = store.reload()
                print(f"zhifa serve: rulesets reloaded (generation {snap.generation})", flush=True)
            except engine.RulesetError as exc:
                print(f"zhifa serve: reload failed, the previous rulesets stay in service:\n{exc}", flush=True)
        threading.Thread(target=run, name="zhifa-reload", daemon=True).start()

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _reload)
    # a bounded number of connections and a short keep-alive: a flood of clients waits at the socket, it does not
    # pile up requests in memory
    uvicorn.run(app, host=host, port=port, log_level=log_level, limit_concurrency=256, timeout_keep_alive=5,
                server_header=False)
