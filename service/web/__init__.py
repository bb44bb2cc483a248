"""Public, server-rendered pages: credential verification, share links, the target dashboard."""
