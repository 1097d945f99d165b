"""I-MUT: personnel actions around elections and the rules that flag them (issue 17).

Pure:

- :mod:`sbt_sync.imut.model`: the personnel action, block intervals, neutrality-case references and
  findings, as plain data.
- :mod:`sbt_sync.imut.elections`: the election calendar (a data file a deployment edits) and windows.
- :mod:`sbt_sync.imut.workdays`: Indonesian working days (``holidays`` package plus overrides).
- :mod:`sbt_sync.imut.rules`: the rules, pure functions returning findings with their basis.
- :mod:`sbt_sync.imut.reasons`: what findings say, in Bahasa Indonesia and English.
- :mod:`sbt_sync.imut.staged`: a staged I-MUT record (``schemas.feeds.imut``) as a personnel action.
- :mod:`sbt_sync.imut.review`: the states of a stored finding and of the stewards' review.

With the database:

- :mod:`sbt_sync.imut.blocks`: block intervals from one timeline of the push ledger and SIASN lookups.
- :mod:`sbt_sync.imut.context`: block intervals and case references per NIP, for the rules.
- :mod:`sbt_sync.imut.scope`: what an incremental evaluation looks at.
- :mod:`sbt_sync.imut.store` and :mod:`sbt_sync.imut.findings_write`: evaluation into
  ``imut_findings`` (closed, never deleted; audited); :mod:`sbt_sync.imut.run` with the deployment's
  calendars (the ``golden/imut_findings`` asset, ``sbt-sync imut evaluate``).
- :mod:`sbt_sync.imut.steward`: the stewards' queue and decisions (``sbt-sync imut findings|decide``).
- :mod:`sbt_sync.imut.quality`: findings against a sandbox's truth (``sbt-sync quality``).
"""
