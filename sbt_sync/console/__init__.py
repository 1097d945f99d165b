"""The steward console: a server-rendered web app and the ``/api/v1`` JSON API on one service layer.

``create_app`` (:mod:`sbt_sync.console.app`) is the composition root; ``sbt-sync steward serve`` runs it.
"""
