"""I-MUT: personnel actions around elections and the rules that flag them (issue 17).

- :mod:`sbt_sync.imut.model`: the personnel action, block intervals, neutrality-case references and
  findings, as plain data.
- :mod:`sbt_sync.imut.elections`: the election calendar (a data file a deployment edits) and windows.
- :mod:`sbt_sync.imut.workdays`: Indonesian working days (``holidays`` package plus overrides).
- :mod:`sbt_sync.imut.rules`: the rules, pure functions returning findings with their basis.
- :mod:`sbt_sync.imut.reasons`: what findings say, in Bahasa Indonesia and English.
"""
