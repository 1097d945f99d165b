"""Building blocks of the sandbox SFTP server (:mod:`sbt_sync.sandbox.sftp_server`).

``keys`` persists the host and client key pairs, ``tree`` computes which agency files are visible at a
sandbox-clock instant, ``handlers`` answers SFTP requests from that tree, and ``session`` authenticates
one SSH connection and starts its SFTP subsystem.
"""
