"""Plain-Python clients for the outside world: the shared HTTP layer, the SFTP reader, the SIASN client.

Nothing here imports Dagster or SQLAlchemy, and nothing reads the environment: configuration arrives
as arguments and small dataclasses, built by the Dagster resources from ``sbt.yaml`` and secrets.
"""
