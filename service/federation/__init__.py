"""Federation: OpenID Connect providers, their ID tokens, and token exchange (RFC 8693).

Other systems vouch for a learner here: an identity provider's ID token (browser sign-in, or
the platform presenting a learner's ID token), or the platform's own entitlement to a learner.
"""
