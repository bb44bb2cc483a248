"""Skill micro-credentials (技能微证书) as 1EdTech Open Badges 3.0 VC-JWTs.

Small modules, each named for what it holds: ``models`` (tables), ``keys`` (signing keys and
JWKS), ``documents`` (OB 3.0 JSON), ``jwt_vc`` (VC-JOSE-COSE securing), ``status_bits`` and
``status_list`` (W3C Bitstring Status List v1.0), ``issuance``, ``baking`` and ``images``
(baked badges), ``verify`` and ``resolvers`` (verification). This package never imports
``service``: it takes a DB session, settings values and resolver callables as arguments.
"""
