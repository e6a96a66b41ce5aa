"""Clients of the external caption providers; each makes one request and classifies failures.

They are used behind `daemon.resilience.GuardedClient`, which retries, paces and breaks.
"""
