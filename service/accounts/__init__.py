"""Organizations, users, API keys, tokens: who may do what."""
