"""Transactions residents ask about (permits, licences) held by the municipality's systems.

A transaction type (catalogue.yml, `transactions:`) names the system of record that holds it
(`transaction_systems:`); each system is reached by a connector (`connector.py`, one module per
kind of system, listed in `registry.py`). `desk.py` answers an inquiry: which type a number is,
its stage in plain words, whether the resident's proof matches; `followup.py` finishes by SMS
what a slow system could not answer during the conversation.
"""
