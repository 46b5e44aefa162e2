"""The HTTP layer, one module per concern: `models` (request bodies), `errors` (the one error
table), `deps` (who is asking, the engine, the journal, the worker threads), `observe`
(request metrics and log lines), and one router per feature (`ask`, `search`, `info`,
`procedures`, `duties`, `documents`, `health`, `admin`, `pages`). `service.app.create_app`
assembles them.
"""
