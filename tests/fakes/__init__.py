"""Fakes of the outside world that the tests talk to over loopback."""
