"""The service side of skill micro-credentials: settings-derived issuer and achievements, issuing
and status changes, cached status lists, verification wiring and downloads.

The credential logic itself lives in ``credentials/`` (which never imports ``service``); these
modules pass it a session, settings values and resolvers, and are what routes, the CLI and the
completion job call.
"""
