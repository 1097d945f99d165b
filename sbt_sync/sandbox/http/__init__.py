"""The sandbox's HTTP simulators (bawaslu, bkn_wasdal, idis, imut, SIASN) and its control server.

One ``ThreadingHTTPServer`` per simulator on its own loopback port; :mod:`sbt_sync.sandbox.runtime`
starts them together. Each module's docstring is the contract its simulator serves.
"""
