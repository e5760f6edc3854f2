"""Notifications: who is told what when a complaint moves, and how it reaches them.

Messages are planned when a complaint changes and written to the outbox in the same store
write; the dispatcher delivers them through one provider per channel.
"""
