"""Requests: asking (for a resource or a bundle, again), deciding (approve, reject, cancel), and
the state machine every change of state goes through.
"""
