"""Benchmarks of denialwatch and their recorded results."""
