"""The Learning Record Store behind ``/xAPI`` (xAPI 1.0.3 and 2.0, IEEE 9274.1.1).

Every valid statement is stored, whoever it is about; a projection feeds the ones that belong to
an enrolment into the training ledger. Documents (State, Activity Profile, Agent Profile) and
attachments live here too. Routers are in ``service.api.routes.xapi``.
"""
